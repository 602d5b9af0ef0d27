package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.Args;

/** RENEW (RFC 7530 section 16.29). */
public final class OpRenew implements NfsOperation<Args.Renew> {
    @Override
    public Result process(CompoundContext ctx, Args.Renew args) throws NfsException {
        ctx.services().state().renew(args.clientid());
        return Result.VOID;
    }
}
