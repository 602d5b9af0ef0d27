package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.NewAttributes;
import io.prefetchd.gateway.fs.Owner;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.access.Identity;
import io.prefetchd.gateway.nfs.v4.AttributeDecoder;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;

import static io.prefetchd.gateway.nfs.xdr.Nfs4.ACCESS4_MODIFY;

/**
 * SETATTR (RFC 8881 section 18.30) of size, mode, owner, owner_group, time_access_set and time_modify_set, kept
 * with the file (as object metadata) and shown by GETATTR. SETATTR4res carries the {@code attrsset} bitmap whatever
 * the status: everything asked on success, nothing on failure (nothing is applied unless all is).
 *
 * <p>Who may set what, as POSIX: the size needs write permission on a regular file (NFS4ERR_ISDIR for a
 * directory) and, under an open, a stateid open for writing ({@link IoStates}; the stateid is looked at only when
 * the size is set); mode and times set to a given value need the owner or root (NFS4ERR_PERM); times set to the
 * server's clock need the owner, root or write permission; a new owner needs root, and a new group root or the
 * owner who is a member of it. A read-only export answers NFS4ERR_ROFS; attributes that cannot be set are
 * NFS4ERR_INVAL, unsupported ones NFS4ERR_ATTRNOTSUPP.
 */
public final class OpSetattr implements NfsOperation<Args.Setattr> {
    private static final Result NOTHING_SET = w -> w.writeIntArray(new int[0]);

    @Override
    public Result process(CompoundContext ctx, Args.Setattr args) throws NfsException, FsException {
        Inode fh = ctx.currentFh();
        ctx.requireWritable();
        var clock = ctx.services().clock();
        AttributeDecoder.Decoded asked = AttributeDecoder.decode(
                ctx.services().attributes().supported(ctx.minorVersion()), args.attrs(), clock.instant());
        NewAttributes attrs = asked.attributes();
        FileAttributes current = ctx.services().fs().getattr(fh);
        if (attrs.size().isPresent()) {
            if (fh.isDirectory()) {
                throw new NfsException(NfsStatus.NFS4ERR_ISDIR, fh.path() + " is a directory");
            }
            ctx.checkAccess(fh, current, ACCESS4_MODIFY);
            IoStates.checkWrite(ctx, args.stateid(), fh);
        }
        checkOwnerRules(ctx, fh, current, asked);
        if (!attrs.isEmpty()) {
            ctx.services().fs().setattr(fh, attrs);
        }
        int[] set = asked.mask();
        return w -> w.writeIntArray(set);
    }

    private static void checkOwnerRules(CompoundContext ctx, Inode fh, FileAttributes current,
                                        AttributeDecoder.Decoded asked) throws NfsException {
        NewAttributes attrs = asked.attributes();
        Identity who = ctx.access().identity();
        Owner owner = ctx.services().access().ownership().owner(fh.isDirectory(), current.owner());
        boolean ownerOrRoot = who.isRoot() || who.uid() == owner.uid();
        String path = fh.path().isEmpty() ? "/" : fh.path();
        if (attrs.mode().isPresent() && !ownerOrRoot) {
            throw new NfsException(NfsStatus.NFS4ERR_PERM, "only the owner may change the mode of " + path);
        }
        if (attrs.uid().isPresent() && attrs.uid().get() != owner.uid() && !who.isRoot()) {
            throw new NfsException(NfsStatus.NFS4ERR_PERM, "only root may give " + path + " away");
        }
        if (attrs.gid().isPresent() && attrs.gid().get() != owner.gid() && !who.isRoot()
                && !(who.uid() == owner.uid() && who.inGroup(attrs.gid().get()))) {
            throw new NfsException(NfsStatus.NFS4ERR_PERM, "uid " + who.uid() + " may not give " + path
                    + " to group " + attrs.gid().get());
        }
        boolean times = attrs.atime().isPresent() || attrs.mtime().isPresent();
        if (times && !ownerOrRoot) {
            if (asked.clientTime()) {
                throw new NfsException(NfsStatus.NFS4ERR_PERM, "only the owner may set the times of " + path);
            }
            ctx.checkAccess(fh, current, ACCESS4_MODIFY);
        }
    }

    @Override
    public Result failure(NfsStatus status) {
        return NOTHING_SET;
    }
}
