package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.FileType;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;

/** LOOKUPP (RFC 8881 section 18.14): the parent directory; the root has none. */
public final class OpLookupp implements NfsOperation<Void> {
    @Override
    public Result process(CompoundContext ctx, Void args) throws NfsException, FsException {
        Inode dir = ctx.currentDir();
        if (dir.isRoot()) {
            throw new NfsException(NfsStatus.NFS4ERR_NOENT, "the root has no parent");
        }
        Inode parent = new Inode(FileType.DIRECTORY, dir.parentPath());
        ctx.services().fs().getattr(parent);
        ctx.setCurrentFh(parent);
        return Result.VOID;
    }
}
