package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.state.LockState;
import io.prefetchd.gateway.nfs.v4.state.OpenState;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;

/**
 * The open a stateid names, checked against the file it is used on, as CLOSE, OPEN_CONFIRM, OPEN_DOWNGRADE and
 * READ need it: the 4.1 "current stateid" resolved, the open found (or the stateid error), the file the same as
 * {@code file}, and a 4.0 client's lease renewed (in 4.1 SEQUENCE renews).
 */
final class OpenStates {
    private OpenStates() {
    }

    static OpenState forFile(CompoundContext ctx, StateId stateId, Inode file) throws NfsException {
        OpenState open = ctx.services().state().openState(ctx.resolve(stateId), ctx.minorVersion());
        if (!open.inode().equals(file)) {
            throw new NfsException(NfsStatus.NFS4ERR_BAD_STATEID, "stateid is for another file");
        }
        if (ctx.minorVersion() == 0) {
            ctx.services().state().renew(open.owner().client());
        }
        return open;
    }

    /**
     * The open that I/O under {@code stateId} reads through: the open itself, or for a lock stateid the open its
     * locks were taken under (a Linux client reads with the lock stateid while its process holds locks, RFC 8881
     * section 8.2.2).
     */
    static OpenState forIo(CompoundContext ctx, StateId stateId, Inode file) throws NfsException {
        StateId id = ctx.resolve(stateId);
        LockState lock = ctx.services().state().locks().find(id, ctx.minorVersion());
        if (lock == null) {
            return forFile(ctx, id, file);
        }
        if (!lock.inode().equals(file)) {
            throw new NfsException(NfsStatus.NFS4ERR_BAD_STATEID, "lock stateid is for another file");
        }
        if (ctx.minorVersion() == 0) {
            ctx.services().state().renew(lock.owner().client());
        }
        return lock.open();
    }
}
