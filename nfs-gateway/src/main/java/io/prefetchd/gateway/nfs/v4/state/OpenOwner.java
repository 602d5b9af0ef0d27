package io.prefetchd.gateway.nfs.v4.state;

/**
 * An open-owner: the client's identity for a set of opens. In 4.0 it carries the seqid that orders OPEN, CLOSE,
 * OPEN_CONFIRM and OPEN_DOWNGRADE, and the last reply for retransmissions (RFC 7530 section 9.1.7).
 * Guarded by the {@link NfsState} monitor.
 */
public final class OpenOwner {
    final ClientRecord client;
    final byte[] owner;
    boolean confirmed;
    boolean seqidKnown;
    int lastSeqid;
    Object lastReply;
    int opens;

    OpenOwner(ClientRecord client, byte[] owner) {
        this.client = client;
        this.owner = owner.clone();
    }

    public ClientRecord client() {
        return client;
    }
}
