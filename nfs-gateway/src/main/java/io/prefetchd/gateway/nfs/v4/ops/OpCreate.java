package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.AttributeDecoder;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;

import static io.prefetchd.gateway.nfs.xdr.Nfs4.*;

/**
 * CREATE (RFC 8881 section 18.4) of a directory: a folder marker in S3, owned by the caller (after squashing) with
 * the mode asked (0755 when none is); the new directory becomes the current file handle, and the reply carries the
 * parent's change_info and the attributes set. S3 holds no symbolic links, devices, sockets or FIFOs, so
 * {@code ln -s}, {@code mkfifo} and {@code mknod} get NFS4ERR_PERM, as {@link OpLink} explains; a regular file or a
 * named attribute is NFS4ERR_BADTYPE (OPEN creates files). Creating needs write and search permission on the
 * directory.
 */
public final class OpCreate implements NfsOperation<Args.Create> {
    static final int DEFAULT_DIR_MODE = 0755;

    @Override
    public Result process(CompoundContext ctx, Args.Create args) throws NfsException, FsException {
        Inode dir = ctx.currentDir();
        ctx.requireWritable();
        switch (args.type()) {
            case NF4DIR -> {
            }
            case NF4LNK, NF4BLK, NF4CHR, NF4SOCK, NF4FIFO -> throw OpLink.cannotHold("object of type " + args.type());
            default -> throw new NfsException(NfsStatus.NFS4ERR_BADTYPE, "CREATE of type " + args.type());
        }
        String name = Names.check(args.name());
        AttributeDecoder.Decoded asked = AttributeDecoder.decode(
                ctx.services().attributes().supported(ctx.minorVersion()), args.attrs(),
                ctx.services().clock().instant());
        if (asked.attributes().size().isPresent()) {
            throw new NfsException(NfsStatus.NFS4ERR_INVAL, "a directory has no size to set");
        }
        ctx.checkAccess(dir, ACCESS4_EXTEND);
        long before = ChangeInfo.changeOf(ctx, dir);
        Inode created = ctx.services().fs().mkdir(dir, name, asked.attributes(),
                ctx.creator(asked.attributes().mode().orElse(DEFAULT_DIR_MODE)));
        ChangeInfo cinfo = new ChangeInfo(before, ChangeInfo.changeOf(ctx, dir));
        ctx.setCurrentFh(created);
        int[] attrset = asked.mask();
        return w -> {
            cinfo.encode(w);
            w.writeIntArray(attrset);
        };
    }
}
