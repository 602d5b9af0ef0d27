package io.prefetchd.gateway.nfs.v4.state;

import org.jspecify.annotations.Nullable;
/**
 * An owner whose NFSv4.0 operations are sequenced by a seqid (RFC 7530 section 9.1.7): open-owners order OPEN,
 * OPEN_CONFIRM, OPEN_DOWNGRADE and CLOSE, lock-owners order LOCK and LOCKU. Keeps the last seqid and the reply to
 * send again when that request is retransmitted. Guarded by the {@link NfsState} monitor.
 */
public abstract sealed class SeqidOwner permits OpenOwner, LockOwner {
    final ClientRecord client;
    boolean seqidKnown;
    int lastSeqid;
    @Nullable Object lastReply;   // null until the first seqid-advancing reply

    SeqidOwner(ClientRecord client) {
        this.client = client;
    }

    public ClientRecord client() {
        return client;
    }
}
