package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.Args;

import static io.prefetchd.gateway.nfs.xdr.Nfs4.*;

/** ACCESS (RFC 8881 section 18.1): the export is read-only, so only read, lookup and (for files) no more. */
public final class OpAccess implements NfsOperation<Args.Access> {
    private static final int DIR_BITS = ACCESS4_READ | ACCESS4_LOOKUP | ACCESS4_MODIFY | ACCESS4_EXTEND | ACCESS4_DELETE;
    private static final int FILE_BITS = ACCESS4_READ | ACCESS4_MODIFY | ACCESS4_EXTEND | ACCESS4_EXECUTE;

    @Override
    public Result process(CompoundContext ctx, Args.Access args) throws NfsException {
        Inode fh = ctx.currentFh();
        ctx.services().fs().getattr(fh);
        int supported = args.access() & (fh.isDirectory() ? DIR_BITS : FILE_BITS);
        int granted = supported & (fh.isDirectory() ? ACCESS4_READ | ACCESS4_LOOKUP : ACCESS4_READ);
        return w -> w.writeInt(supported).writeInt(granted);
    }
}
