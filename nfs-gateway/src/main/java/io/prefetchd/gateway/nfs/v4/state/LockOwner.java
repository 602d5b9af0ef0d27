package io.prefetchd.gateway.nfs.v4.state;

import java.util.ArrayList;
import java.util.List;

/**
 * A lock-owner (lock_owner4): the client's identity for a set of byte-range locks, typically one process (fcntl)
 * or one open file description (flock). It holds one {@link LockState} per file it has locked. In 4.0 it carries
 * the seqid that orders its LOCK and LOCKU (see {@link SeqidOwner}). Guarded by the {@link NfsState} monitor.
 */
public final class LockOwner extends SeqidOwner {
    final byte[] owner;
    final List<LockState> states = new ArrayList<>();

    LockOwner(ClientRecord client, byte[] owner) {
        super(client);
        this.owner = owner.clone();
    }
}
