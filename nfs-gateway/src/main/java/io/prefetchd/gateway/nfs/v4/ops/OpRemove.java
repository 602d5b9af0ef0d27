package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.Args;

import static io.prefetchd.gateway.nfs.xdr.Nfs4.ACCESS4_DELETE;

/**
 * REMOVE (RFC 8881 section 18.25) of a file or an empty directory (NFS4ERR_NOTEMPTY otherwise) from the current
 * directory; needs write and search permission on it. The reply carries the directory's change_info.
 */
public final class OpRemove implements NfsOperation<Args.Remove> {
    @Override
    public Result process(CompoundContext ctx, Args.Remove args) throws NfsException, FsException {
        Inode dir = ctx.currentDir();
        ctx.requireWritable();
        String name = Names.check(args.name());
        ctx.checkAccess(dir, ACCESS4_DELETE);
        long before = ChangeInfo.changeOf(ctx, dir);
        ctx.services().fs().remove(dir, name);
        ChangeInfo cinfo = new ChangeInfo(before, ChangeInfo.changeOf(ctx, dir));
        return cinfo::encode;
    }
}
