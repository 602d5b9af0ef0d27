package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;

/**
 * READLINK (RFC 8881 section 18.24): S3 has no symbolic links, so every handle, a directory's too, gets the
 * "not a link" answer, NFS4ERR_INVAL.
 */
public final class OpReadlink implements NfsOperation<Void> {
    @Override
    public Result process(CompoundContext ctx, Void args) throws NfsException, FsException {
        Inode fh = ctx.currentFh();
        ctx.services().fs().getattr(fh);
        throw new NfsException(NfsStatus.NFS4ERR_INVAL, fh.path() + " is not a symbolic link");
    }
}
