package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.v4.state.ByteRangeLocks;
import io.prefetchd.gateway.nfs.v4.state.ClientRecord;
import io.prefetchd.gateway.nfs.v4.state.LockRange;
import io.prefetchd.gateway.nfs.xdr.Args;
import static java.util.Objects.requireNonNull;

/**
 * LOCKT (RFC 8881 section 18.11, RFC 7530 section 16.11): would this lock be granted? NFS4ERR_DENIED with the
 * conflicting lock if not. The tester's own locks never conflict; it needs no open. In 4.1 the client is the
 * session's and the owner's client ID is ignored; in 4.0 it names the client, whose lease this renews.
 */
public final class OpLockt implements NfsOperation<Args.Lockt> {
    @Override
    public Result process(CompoundContext ctx, Args.Lockt args) throws NfsException {
        Inode file = LockArgs.file(ctx);
        ClientRecord client = ctx.minorVersion() == 0
                ? ctx.services().state().renew(args.owner().clientid())
                : requireNonNull(ctx.sessionClient(), "4.1 operations run after SEQUENCE");
        LockRange range = LockArgs.range(args.lockType(), args.offset(), args.length());
        ByteRangeLocks.Conflict conflict = ctx.services().state().locks().test(client, args.owner().owner(), file,
                range);
        if (conflict != null) {
            throw LockArgs.denied(conflict);
        }
        return Result.VOID;
    }
}
