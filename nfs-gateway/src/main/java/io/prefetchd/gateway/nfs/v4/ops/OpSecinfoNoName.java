package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;

/** SECINFO_NO_NAME (RFC 8881 section 18.45): AUTH_SYS; consumes the current file handle. */
public final class OpSecinfoNoName implements NfsOperation<Args.SecinfoNoName> {
    @Override
    public Result process(CompoundContext ctx, Args.SecinfoNoName args) throws NfsException {
        switch (args.style()) {
            case Nfs4.SECINFO_STYLE4_CURRENT_FH -> ctx.currentFh();
            case Nfs4.SECINFO_STYLE4_PARENT -> {
                Inode dir = ctx.currentDir();
                if (dir.isRoot()) {
                    throw new NfsException(NfsStatus.NFS4ERR_NOENT, "the root has no parent");
                }
            }
            default -> throw new NfsException(NfsStatus.NFS4ERR_INVAL, "bad secinfo style " + args.style());
        }
        ctx.clearCurrentFh();
        return OpSecinfo.AUTH_SYS_ONLY;
    }
}
