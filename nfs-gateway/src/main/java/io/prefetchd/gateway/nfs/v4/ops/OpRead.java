package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.ReadResult;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.v4.state.OpenState;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;

/**
 * READ (RFC 8881 section 18.22). Under an open stateid for reading only, or a lock stateid made from one, it reads
 * exactly the object version the OPEN pinned; under an open for writing, or with the anonymous or bypass stateid,
 * the file as the attributes show it now (a writer reads back what it wrote). {@code count} is capped at maxread; a short read at the end of the file sets eof.
 */
public final class OpRead implements NfsOperation<Args.Read> {
    @Override
    public Result process(CompoundContext ctx, Args.Read args) throws NfsException {
        Inode fh = ctx.currentFh();
        if (fh.isDirectory()) {
            throw new NfsException(NfsStatus.NFS4ERR_ISDIR, fh.path() + " is a directory");
        }
        StateId id = ctx.resolve(args.stateid());
        FileAttributes version;
        if (id.isAnonymousOrBypass()) {
            version = ctx.services().fs().getattr(fh);
        } else {
            OpenState open = OpenStates.forIo(ctx, id, fh);
            version = open.forWrite() ? ctx.services().fs().getattr(fh) : open.version();
        }
        if (args.offset() < 0) {
            throw new NfsException(NfsStatus.NFS4ERR_INVAL, "offset beyond 2^63");
        }
        int count = Math.min(Integer.toUnsignedLong(args.count()) > Integer.MAX_VALUE ? Integer.MAX_VALUE
                : args.count(), ctx.services().limits().maxRead());
        ctx.services().readObserver().beforeRead(ctx, fh, version, args.offset(), count);
        ReadResult read;
        try {
            read = ctx.services().fs().read(fh, version, args.offset(), count);
        } catch (NfsException | RuntimeException e) {
            ctx.services().readObserver().onReadFailed(ctx, fh, version, args.offset());
            throw e;
        }
        ctx.services().readObserver().onRead(ctx, fh, version, args.offset(), read);
        byte[] data = read.data();
        boolean eof = args.offset() + data.length >= version.size();
        return w -> w.writeBool(eof).writeOpaqueShared(data);
    }
}
