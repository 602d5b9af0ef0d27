package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.Args;

import static io.prefetchd.gateway.nfs.xdr.Nfs4.ACCESS4_LOOKUP;

/** LOOKUP (RFC 8881 section 18.15). */
public final class OpLookup implements NfsOperation<Args.Lookup> {
    @Override
    public Result process(CompoundContext ctx, Args.Lookup args) throws NfsException {
        Inode dir = ctx.currentDir();
        ctx.checkAccess(dir, ACCESS4_LOOKUP);
        Inode child = ctx.services().fs().lookup(dir, Names.check(args.name()));
        ctx.setCurrentFh(child);
        return Result.VOID;
    }
}
