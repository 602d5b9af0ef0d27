package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.Args;

/** DESTROY_SESSION (RFC 8881 section 18.37). */
public final class OpDestroySession implements NfsOperation<Args.DestroySession> {
    @Override
    public Result process(CompoundContext ctx, Args.DestroySession args) throws NfsException {
        ctx.services().state().destroySession(args.sessionId());
        return Result.VOID;
    }
}
