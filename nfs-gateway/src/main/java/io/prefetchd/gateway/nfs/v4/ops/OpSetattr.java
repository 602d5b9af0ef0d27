package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;

/**
 * SETATTR (RFC 8881 section 18.30). The export is read-only: with a current file handle the answer is
 * NFS4ERR_ROFS, and without one NFS4ERR_NOFILEHANDLE, as for any operation on the current handle. SETATTR4res
 * carries the {@code attrsset} bitmap whatever the status, so every reply holds one (empty: nothing was set).
 */
public final class OpSetattr implements NfsOperation<Args.Setattr> {
    private static final Result NOTHING_SET = w -> w.writeIntArray(new int[0]);

    @Override
    public Result process(CompoundContext ctx, Args.Setattr args) throws NfsException {
        ctx.currentFh();
        throw new NfsException(NfsStatus.NFS4ERR_ROFS, "the export is read-only");
    }

    @Override
    public Result failure(NfsStatus status) {
        return NOTHING_SET;
    }
}
