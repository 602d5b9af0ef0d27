package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.ReadObserver;
import io.prefetchd.gateway.fs.ReadResult;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.Deferred;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.v4.state.OpenState;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;

import java.util.concurrent.CompletableFuture;

/**
 * READ (RFC 8881 section 18.22). Under an open stateid for reading only, or a lock stateid made from one, it reads
 * exactly the object version the OPEN pinned; under an open for writing, or with the anonymous or bypass stateid,
 * the file as the attributes show it now (a writer reads back what it wrote). {@code count} is capped at maxread; a
 * short read at the end of the file sets eof.
 *
 * <p>Bytes not in the cache are fetched without holding the worker thread: the result is {@link Deferred} until
 * they arrive, and the COMPOUND carries on then. An S3 failure is answered with the status the file system maps it
 * to: NFS4ERR_DELAY while trying again may help, NFS4ERR_STALE for an object that changed or went away, NFS4ERR_IO
 * when S3 is unreachable or the bytes cannot be had.
 */
public final class OpRead implements NfsOperation<Args.Read> {
    @Override
    public Result process(CompoundContext ctx, Args.Read args) throws NfsException, FsException {
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
        ReadObserver.Reader reader = new ReadObserver.Reader(
                ctx.sessionClient() == null ? 0 : ctx.sessionClient().clientId(), ctx.caller().remote());
        ReadObserver observer = ctx.services().readObserver();
        long offset = args.offset();
        observer.beforeRead(reader, fh, version, offset, count);
        CompletableFuture<ReadResult> pending;
        try {
            pending = ctx.services().fs().readAsync(fh, version, offset, count);
        } catch (RuntimeException e) {
            observer.onReadFailed(reader, fh, version, offset);
            throw e;
        }
        FileAttributes pinned = version;
        Deferred.Continuation reply = () -> {
            ReadResult result;
            try {
                result = Deferred.join(pending);
            } catch (NfsException | FsException | RuntimeException e) {
                observer.onReadFailed(reader, fh, pinned, offset);
                throw e;
            }
            observer.onRead(reader, fh, pinned, offset, result);
            byte[] data = result.data();
            boolean eof = offset + data.length >= pinned.size();
            return w -> w.writeBool(eof).writeOpaqueShared(data);
        };
        return pending.isDone() ? reply.get() : new Deferred(pending, reply);
    }
}
