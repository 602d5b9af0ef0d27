package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.state.OpenState;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;

import static io.prefetchd.gateway.nfs.xdr.Nfs4.ACCESS4_MODIFY;

/**
 * The stateid rules of operations that change a file's bytes, WRITE and SETATTR of the size (RFC 8881 sections
 * 8.2.3 and 9.7): an open (or lock) stateid must be of this file and open for writing (NFS4ERR_OPENMODE when it is
 * open for reading only); the anonymous and bypass special stateids stand for "no open", so the caller's write
 * permission decides (NFS4ERR_ACCESS) and no open's share reservation may deny writing (NFS4ERR_LOCKED).
 */
final class IoStates {
    private IoStates() {
    }

    static void checkWrite(CompoundContext ctx, StateId stateId, Inode file) throws NfsException, FsException {
        StateId id = ctx.resolve(stateId);
        if (id.isAnonymousOrBypass()) {
            ctx.checkAccess(file, ctx.services().fs().getattr(file), ACCESS4_MODIFY);
            ctx.services().state().checkSpecialWrite(file);
            return;
        }
        OpenState open = OpenStates.forIo(ctx, id, file);
        if (!open.forWrite()) {
            throw new NfsException(NfsStatus.NFS4ERR_OPENMODE, "the stateid's open of " + file.path()
                    + " is for reading only");
        }
    }
}
