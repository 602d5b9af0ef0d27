package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.WriteResult;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;

import java.nio.ByteBuffer;

import static io.prefetchd.gateway.nfs.xdr.Nfs4.DATA_SYNC4;
import static io.prefetchd.gateway.nfs.xdr.Nfs4.FILE_SYNC4;
import static io.prefetchd.gateway.nfs.xdr.Nfs4.UNSTABLE4;

/**
 * WRITE (RFC 8881 section 18.32). UNSTABLE4 leaves the bytes for a later COMMIT; DATA_SYNC4 and FILE_SYNC4 ask
 * that they be on the staging disk before the reply, which then says FILE_SYNC4 (the file system forces data and
 * size together). The reply carries the file system's write verifier: it changes when the gateway restarts, so a
 * client resends what it wrote unstably and had not committed. At most maxwrite bytes are taken; the client sends
 * the rest again. Stateids as {@link IoStates} checks them; a read-only export answers NFS4ERR_ROFS.
 */
public final class OpWrite implements NfsOperation<Args.Write> {
    @Override
    public Result process(CompoundContext ctx, Args.Write args) throws NfsException, FsException {
        Inode file = ctx.currentFh();
        if (file.isDirectory()) {
            throw new NfsException(NfsStatus.NFS4ERR_ISDIR, file.path() + " is a directory");
        }
        ctx.requireWritable();
        if (args.stable() < UNSTABLE4 || args.stable() > FILE_SYNC4) {
            throw new NfsException(NfsStatus.NFS4ERR_INVAL, "stable_how4 " + args.stable());
        }
        IoStates.checkWrite(ctx, args.stateid(), file);
        ByteBuffer data = args.data();
        int count = Math.min(data.remaining(), ctx.services().limits().maxRead());
        if (args.offset() < 0 || args.offset() + count < 0) {
            throw new NfsException(NfsStatus.NFS4ERR_FBIG, "write beyond 2^63 - 1 bytes");
        }
        data.limit(data.position() + count);
        boolean durable = args.stable() >= DATA_SYNC4;
        WriteResult written = ctx.services().fs().write(file, args.offset(), data, durable);
        long verifier = ctx.services().fs().writeVerifier();
        int committed = written.durable() ? FILE_SYNC4 : UNSTABLE4;
        return w -> w.writeInt(written.count()).writeInt(committed).writeLong(verifier);
    }
}
