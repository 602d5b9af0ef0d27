package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.Args;

/** FREE_STATEID (RFC 8881 section 18.38). */
public final class OpFreeStateid implements NfsOperation<Args.FreeStateid> {
    @Override
    public Result process(CompoundContext ctx, Args.FreeStateid args) throws NfsException {
        ctx.services().state().free(ctx.resolve(args.stateid()));
        return Result.VOID;
    }
}
