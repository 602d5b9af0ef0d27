package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.Args;

/** DESTROY_CLIENTID (RFC 8881 section 18.50). */
public final class OpDestroyClientid implements NfsOperation<Args.DestroyClientid> {
    @Override
    public Result process(CompoundContext ctx, Args.DestroyClientid args) throws NfsException {
        ctx.services().state().destroyClientId(args.clientid());
        return Result.VOID;
    }
}
