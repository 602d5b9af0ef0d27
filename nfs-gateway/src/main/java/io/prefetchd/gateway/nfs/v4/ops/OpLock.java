package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.v4.state.ByteRangeLocks;
import io.prefetchd.gateway.nfs.v4.state.ClientRecord;
import io.prefetchd.gateway.nfs.v4.state.LockOwner;
import io.prefetchd.gateway.nfs.v4.state.LockRange;
import io.prefetchd.gateway.nfs.v4.state.LockState;
import io.prefetchd.gateway.nfs.v4.state.OpenState;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;

/**
 * LOCK (RFC 8881 section 18.10, RFC 7530 section 16.10). A lock-owner's first lock on a file comes with
 * {@code open_to_lock_owner4} (the open it is taken under; in 4.0 ordered by the open-owner's seqid, and its
 * {@code lock_seqid} starts the lock-owner's sequence); later ones name the lock stateid ({@code exist_lock_owner4},
 * ordered by the lock-owner's seqid in 4.0). Granted, it answers the lock stateid with its seqid advanced; denied,
 * NFS4ERR_DENIED with the conflicting lock. There is no grace period, so a reclaim gets NFS4ERR_NO_GRACE.
 */
public final class OpLock implements NfsOperation<Args.Lock> {
    @Override
    public Result process(CompoundContext ctx, Args.Lock args) throws NfsException {
        Inode file = LockArgs.file(ctx);
        ByteRangeLocks locks = ctx.services().state().locks();
        if (args.locker() instanceof Args.OpenToLockOwner o) {
            OpenState open = OpenStates.forFile(ctx, o.openStateid(), file);
            ClientRecord client = open.owner().client();
            LockArgs.checkClient(ctx, client);
            return SeqidReplies.run(ctx, open.owner(), o.openSeqid(), () -> {
                LockOwner owner = locks.owner(client, o.owner().owner());
                return SeqidReplies.alsoStarting(ctx, owner, o.lockSeqid(), () -> {
                    if (ctx.minorVersion() == 0 && locks.hasState(owner, file)) {
                        // RFC 7530 section 16.10.5: a new lock-owner that already has locking state for the file
                        throw new NfsException(NfsStatus.NFS4ERR_BAD_SEQID, "lock-owner already has a stateid");
                    }
                    return lock(locks, args, owner, open);
                });
            });
        }
        Args.ExistLockOwner e = (Args.ExistLockOwner) args.locker();
        LockState state = locks.get(ctx.resolve(e.lockStateid()), ctx.minorVersion());
        if (!state.inode().equals(file)) {
            throw new NfsException(NfsStatus.NFS4ERR_BAD_STATEID, "lock stateid is for another file");
        }
        LockArgs.checkClient(ctx, state.owner().client());
        if (ctx.minorVersion() == 0) {
            ctx.services().state().renew(state.owner().client());
        }
        return SeqidReplies.run(ctx, state.owner(), e.lockSeqid(),
                () -> lock(locks, args, state.owner(), state.open()));
    }

    private static SeqidReplies.Reply lock(ByteRangeLocks locks, Args.Lock args, LockOwner owner, OpenState open)
            throws NfsException {
        if (args.reclaim()) {
            throw new NfsException(NfsStatus.NFS4ERR_NO_GRACE, "no grace period: nothing to reclaim");
        }
        LockRange range = LockArgs.range(args.lockType(), args.offset(), args.length());
        ByteRangeLocks.Outcome outcome = locks.lock(owner, open, range);
        if (outcome instanceof ByteRangeLocks.Outcome.Denied d) {
            throw LockArgs.denied(d.conflict());
        }
        StateId id = ((ByteRangeLocks.Outcome.Granted) outcome).stateId();
        return new SeqidReplies.Reply(NfsStatus.NFS4_OK, id::encode, null, id);
    }
}
