package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.Args;

/**
 * PUTFH (RFC 8881 section 18.19). The handle names its object by itself (see FileHandles), so this only decodes;
 * an object deleted since is reported NFS4ERR_STALE by the operation that touches it. A client in no export rule
 * gets NFS4ERR_ACCESS.
 */
public final class OpPutfh implements NfsOperation<Args.Putfh> {
    @Override
    public Result process(CompoundContext ctx, Args.Putfh args) throws NfsException {
        ctx.access();
        ctx.setCurrentFh(ctx.services().handles().decode(args.fh()));
        return Result.VOID;
    }
}
