package io.prefetchd.gateway.nfs.v4.state;

/**
 * An open-owner: the client's identity for a set of opens. In 4.0 it carries the seqid that orders OPEN, CLOSE,
 * OPEN_CONFIRM and OPEN_DOWNGRADE (see {@link SeqidOwner}). Guarded by the {@link NfsState} monitor.
 */
public final class OpenOwner extends SeqidOwner {
    final byte[] owner;
    boolean confirmed;
    int opens;

    OpenOwner(ClientRecord client, byte[] owner) {
        super(client);
        this.owner = owner.clone();
    }
}
