package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;

/**
 * PUTROOTFH and PUTPUBFH (RFC 8881 sections 18.21, 18.20): the export root is also the public handle. A client in
 * no export rule gets NFS4ERR_ACCESS, which the Linux client reports as "access denied by server while mounting".
 */
public final class OpPutrootfh implements NfsOperation<Void> {
    @Override
    public Result process(CompoundContext ctx, Void args) throws NfsException {
        ctx.access();
        ctx.setCurrentFh(Inode.ROOT);
        return Result.VOID;
    }
}
