package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.VirtualFileSystem;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.Deferred;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.Args;

import java.util.concurrent.CompletableFuture;

import static io.prefetchd.gateway.nfs.xdr.Nfs4.ACCESS4_LOOKUP;

/**
 * LOOKUP (RFC 8881 section 18.15). A name no held listing or HEAD answer knows is asked of S3 without holding the
 * worker thread: the result is {@link Deferred} until the file system knows it, and errors come in the same order
 * as when it is known at once (the directory's access first, then the name).
 */
public final class OpLookup implements NfsOperation<Args.Lookup> {
    @Override
    public Result process(CompoundContext ctx, Args.Lookup args) throws NfsException, FsException {
        Inode dir = ctx.currentDir();
        VirtualFileSystem fs = ctx.services().fs();
        CompletableFuture<Void> access = ctx.accessKnown(dir);
        String valid = Names.validOrNull(args.name());
        CompletableFuture<Void> name = valid == null ? VirtualFileSystem.KNOWN : fs.nameKnown(dir, valid);
        Deferred.Continuation rest = () -> {
            Deferred.join(access);
            ctx.checkAccess(dir, ACCESS4_LOOKUP);
            String checked = Names.check(args.name());
            Deferred.join(name);
            ctx.setCurrentFh(fs.lookup(dir, checked));
            return Result.VOID;
        };
        return access.isDone() && name.isDone() ? rest.get()
                : new Deferred(CompletableFuture.allOf(access, name), rest);
    }
}
