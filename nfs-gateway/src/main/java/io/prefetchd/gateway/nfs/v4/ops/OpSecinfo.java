package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.Nfs4;

/**
 * SECINFO (RFC 8881 section 18.29): AUTH_SYS everywhere. In 4.1 the current file handle is consumed, in 4.0 it
 * is kept (RFC 7530 section 16.31).
 */
public final class OpSecinfo implements NfsOperation<Args.Secinfo> {
    static final Result AUTH_SYS_ONLY = w -> w.writeInt(1).writeInt(Nfs4.AUTH_SYS);

    @Override
    public Result process(CompoundContext ctx, Args.Secinfo args) throws NfsException, FsException {
        Inode dir = ctx.currentDir();
        ctx.services().fs().lookup(dir, Names.check(args.name()));
        if (ctx.minorVersion() >= 1) {
            ctx.clearCurrentFh();
        }
        return AUTH_SYS_ONLY;
    }
}
