package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;

/**
 * COMMIT (RFC 8881 section 18.3): forces everything written to the file so far onto the staging disk, whatever
 * range is named (a larger commit is always allowed), and answers the write verifier the WRITEs had; a client that
 * sees another verifier resends its uncommitted writes.
 */
public final class OpCommit implements NfsOperation<Args.Commit> {
    @Override
    public Result process(CompoundContext ctx, Args.Commit args) throws NfsException, FsException {
        Inode file = ctx.currentFh();
        if (file.isDirectory()) {
            throw new NfsException(NfsStatus.NFS4ERR_ISDIR, file.path() + " is a directory");
        }
        ctx.requireWritable();
        if (args.offset() < 0 || (args.count() != 0
                && args.offset() + Integer.toUnsignedLong(args.count()) < 0)) {
            throw new NfsException(NfsStatus.NFS4ERR_INVAL, "commit range beyond 2^63 - 1");
        }
        ctx.services().fs().commit(file);
        long verifier = ctx.services().fs().writeVerifier();
        return w -> w.writeLong(verifier);
    }
}
