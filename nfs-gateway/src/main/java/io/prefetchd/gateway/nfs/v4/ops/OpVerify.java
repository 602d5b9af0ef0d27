package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;

import java.util.Arrays;

/**
 * VERIFY and NVERIFY (RFC 8881 sections 18.31 and 18.15): compare the client's attribute values with ours,
 * byte for byte in their XDR form. One class serves both; {@code negate} picks NVERIFY.
 */
public final class OpVerify implements NfsOperation<Args.Verify> {
    private final boolean negate;

    public OpVerify(boolean negate) {
        this.negate = negate;
    }

    @Override
    public Result process(CompoundContext ctx, Args.Verify args) throws NfsException, FsException {
        Inode fh = ctx.currentFh();
        var attrs = ctx.services().fs().getattr(fh);
        byte[] ours = ctx.services().attributes().values(fh, attrs, args.attrs().mask(), ctx.minorVersion());
        boolean same = Arrays.equals(ours, args.attrs().values());
        if (!negate && !same) {
            throw new NfsException(NfsStatus.NFS4ERR_NOT_SAME, "attributes differ");
        }
        if (negate && same) {
            throw new NfsException(NfsStatus.NFS4ERR_SAME, "attributes are the same");
        }
        return Result.VOID;
    }
}
