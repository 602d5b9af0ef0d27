package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;

/** SAVEFH (RFC 8881 section 18.28). */
public final class OpSavefh implements NfsOperation<Void> {
    @Override
    public Result process(CompoundContext ctx, Void args) throws NfsException {
        ctx.saveFh();
        return Result.VOID;
    }
}
