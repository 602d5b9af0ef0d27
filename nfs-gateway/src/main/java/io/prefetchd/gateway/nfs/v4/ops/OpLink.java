package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;

/**
 * LINK (RFC 8881 section 18.9): S3 has no hard links ({@code link_support} is false), so a link is refused with
 * NFS4ERR_PERM, which is in LINK's and CREATE's error lists. POSIX {@code link(2)}, {@code symlink(2)} and
 * {@code mknod(2)} name EPERM for "the file system does not support this", and the Linux client shows NFS4ERR_PERM
 * as EPERM ("Operation not permitted"), while it shows NFS4ERR_NOTSUPP as a kernel-internal code ("Unknown error
 * 524"). A read-only export answers NFS4ERR_ROFS first, as to every change.
 */
public final class OpLink implements NfsOperation<Args.Link> {
    @Override
    public Result process(CompoundContext ctx, Args.Link args) throws NfsException {
        Inode dir = ctx.currentDir();
        Inode source = ctx.savedFh();
        if (source.isDirectory()) {
            throw new NfsException(NfsStatus.NFS4ERR_ISDIR, "cannot link directory " + source.path());
        }
        ctx.requireWritable();
        Names.check(args.newName());
        throw cannotHold("hard link in /" + dir.path());
    }

    /** The refusal of what S3 cannot hold (hard and symbolic links, devices, sockets, FIFOs). */
    static NfsException cannotHold(String what) {
        return new NfsException(NfsStatus.NFS4ERR_PERM, "S3 cannot hold a " + what);
    }
}
