package io.prefetchd.gateway.nfs.v4.state;

import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.xdr.StateId;

import java.util.List;

/**
 * The byte-range locks one lock-owner holds on one file, named by one lock stateid (RFC 8881 section 8.2.4). It was
 * created from an open of that file ({@link #open}) and its seqid advances with every LOCK or LOCKU that changes
 * it. {@link #ranges} are sorted, never overlap, and adjacent ranges of the same type are merged. Guarded by the
 * {@link NfsState} monitor; {@link #open}, {@link #owner} and {@link #inode} never change.
 */
public final class LockState {
    final byte[] other;
    final LockOwner owner;
    final OpenState open;
    final Inode inode;
    volatile int seqid;
    List<LockRange> ranges = List.of();

    LockState(byte[] other, LockOwner owner, OpenState open) {
        this.other = other;
        this.owner = owner;
        this.open = open;
        this.inode = open.inode;
    }

    public StateId stateId() {
        return new StateId(seqid, other.clone());
    }

    public LockOwner owner() {
        return owner;
    }

    public OpenState open() {
        return open;
    }

    public Inode inode() {
        return inode;
    }
}
