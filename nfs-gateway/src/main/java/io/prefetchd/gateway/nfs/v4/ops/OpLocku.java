package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.v4.state.ByteRangeLocks;
import io.prefetchd.gateway.nfs.v4.state.LockRange;
import io.prefetchd.gateway.nfs.v4.state.LockState;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;

/**
 * LOCKU (RFC 8881 section 18.12, RFC 7530 section 16.12): releases a range, whatever its lock type, splitting a
 * lock that straddles it; unlocking bytes that are not locked is fine. Answers the lock stateid with its seqid
 * advanced. The lock stateid stays until FREE_STATEID (4.1), RELEASE_LOCKOWNER (4.0) or CLOSE of its open.
 */
public final class OpLocku implements NfsOperation<Args.Locku> {
    @Override
    public Result process(CompoundContext ctx, Args.Locku args) throws NfsException {
        Inode file = LockArgs.file(ctx);
        ByteRangeLocks locks = ctx.services().state().locks();
        LockState state = locks.get(ctx.resolve(args.lockStateid()), ctx.minorVersion());
        if (!state.inode().equals(file)) {
            throw new NfsException(NfsStatus.NFS4ERR_BAD_STATEID, "lock stateid is for another file");
        }
        LockArgs.checkClient(ctx, state.owner().client());
        if (ctx.minorVersion() == 0) {
            ctx.services().state().renew(state.owner().client());
        }
        return SeqidReplies.run(ctx, state.owner(), args.seqid(), () -> {
            LockRange range = LockArgs.range(args.lockType(), args.offset(), args.length());
            StateId id = locks.unlock(state, range);
            return new SeqidReplies.Reply(NfsStatus.NFS4_OK, id::encode, null, id);
        });
    }
}
