package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;

/** RESTOREFH (RFC 8881 section 18.27). */
public final class OpRestorefh implements NfsOperation<Void> {
    @Override
    public Result process(CompoundContext ctx, Void args) throws NfsException {
        ctx.restoreFh();
        return Result.VOID;
    }
}
