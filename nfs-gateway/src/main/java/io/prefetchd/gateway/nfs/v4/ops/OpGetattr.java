package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.AttributeEncoder;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.Args;

/** GETATTR (RFC 8881 section 18.7). Unknown attributes are left out; write-only ones are NFS4ERR_INVAL. */
public final class OpGetattr implements NfsOperation<Args.Getattr> {
    @Override
    public Result process(CompoundContext ctx, Args.Getattr args) throws NfsException {
        Inode fh = ctx.currentFh();
        AttributeEncoder.requireReadable(args.request());
        FileAttributes a = ctx.services().fs().getattr(fh);
        int minor = ctx.minorVersion();
        return w -> ctx.services().attributes().encode(w, fh, a, args.request(), minor);
    }
}
