package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.AttributeEncoder;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.Deferred;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.Args;

import java.util.concurrent.CompletableFuture;

/**
 * GETATTR (RFC 8881 section 18.7). Unknown attributes are left out; write-only ones are NFS4ERR_INVAL. Attributes
 * no held listing or HEAD answer knows are asked of S3 without holding the worker thread: the result is
 * {@link Deferred} until the file system knows them.
 */
public final class OpGetattr implements NfsOperation<Args.Getattr> {
    @Override
    public Result process(CompoundContext ctx, Args.Getattr args) throws NfsException, FsException {
        Inode fh = ctx.currentFh();
        AttributeEncoder.requireReadable(args.request());
        CompletableFuture<Void> known = ctx.services().fs().attributesKnown(fh);
        Deferred.Continuation rest = () -> {
            Deferred.join(known);
            FileAttributes a = ctx.services().fs().getattr(fh);
            int minor = ctx.minorVersion();
            return w -> ctx.services().attributes().encode(w, fh, a, args.request(), minor);
        };
        return known.isDone() ? rest.get() : new Deferred(known, rest);
    }
}
