package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;

import static io.prefetchd.gateway.nfs.xdr.Nfs4.ACCESS4_DELETE;
import static io.prefetchd.gateway.nfs.xdr.Nfs4.ACCESS4_EXTEND;

/**
 * RENAME (RFC 8881 section 18.26): the saved file handle is the source directory, the current one the target
 * directory. As POSIX rename, a file replaces a file and a directory an empty directory; renaming a directory into
 * itself or below itself is NFS4ERR_INVAL. Needs write and search permission on both directories. The reply
 * carries both directories' change_info. Every handle of this gateway is of one export (a handle of another export
 * is already NFS4ERR_STALE at PUTFH); NFS4ERR_XDEV answers the rename of a directory with more keys under it than
 * {@code max-rename-keys}, which the client then copies itself.
 *
 * <p>File handles name paths, so a renamed file's old handle goes stale; see docs/SEMANTICS.md.
 */
public final class OpRename implements NfsOperation<Args.Rename> {
    @Override
    public Result process(CompoundContext ctx, Args.Rename args) throws NfsException, FsException {
        Inode toDir = ctx.currentDir();
        Inode fromDir = ctx.savedFh();
        if (!fromDir.isDirectory()) {
            throw new NfsException(NfsStatus.NFS4ERR_NOTDIR, fromDir.path() + " is not a directory");
        }
        ctx.requireWritable();
        String from = Names.check(args.oldName());
        String to = Names.check(args.newName());
        String source = fromDir.child(from);
        String target = toDir.child(to);
        if (target.startsWith(source + "/")) {
            throw new NfsException(NfsStatus.NFS4ERR_INVAL, "cannot move /" + source + " below itself");
        }
        ctx.checkAccess(fromDir, ACCESS4_DELETE);
        ctx.checkAccess(toDir, ACCESS4_EXTEND);
        long fromBefore = ChangeInfo.changeOf(ctx, fromDir);
        long toBefore = fromDir.equals(toDir) ? fromBefore : ChangeInfo.changeOf(ctx, toDir);
        ctx.services().fs().rename(fromDir, from, toDir, to);
        long fromAfter = ChangeInfo.changeOf(ctx, fromDir);
        long toAfter = fromDir.equals(toDir) ? fromAfter : ChangeInfo.changeOf(ctx, toDir);
        ChangeInfo source4 = new ChangeInfo(fromBefore, fromAfter);
        ChangeInfo target4 = new ChangeInfo(toBefore, toAfter);
        return w -> {
            source4.encode(w);
            target4.encode(w);
        };
    }
}
