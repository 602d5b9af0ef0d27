package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.access.ClientAccess;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.Args;

import static io.prefetchd.gateway.nfs.xdr.Nfs4.*;

/**
 * ACCESS (RFC 8881 section 18.1): what the caller's identity (after squashing) holds by the owner and mode of the
 * file (its own, or the export's). Write bits only for a read-write client of a file system that takes writes, so a read-only client is
 * never told it may modify, extend or delete.
 */
public final class OpAccess implements NfsOperation<Args.Access> {
    private static final int DIR_BITS = ACCESS4_READ | ACCESS4_LOOKUP | ACCESS4_MODIFY | ACCESS4_EXTEND | ACCESS4_DELETE;
    private static final int FILE_BITS = ACCESS4_READ | ACCESS4_MODIFY | ACCESS4_EXTEND | ACCESS4_EXECUTE;

    @Override
    public Result process(CompoundContext ctx, Args.Access args) throws NfsException, FsException {
        Inode fh = ctx.currentFh();
        var attributes = ctx.services().fs().getattr(fh);
        ClientAccess access = ctx.access();
        boolean dir = fh.isDirectory();
        int supported = args.access() & (dir ? DIR_BITS : FILE_BITS);
        int granted = supported & ctx.services().access().ownership().accessBits(access.identity(), dir,
                attributes.owner(), access.readWrite() && ctx.services().fs().writable());
        return w -> w.writeInt(supported).writeInt(granted);
    }
}
