package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;

/** PUTROOTFH and PUTPUBFH (RFC 8881 sections 18.21, 18.20): the export root is also the public handle. */
public final class OpPutrootfh implements NfsOperation<Void> {
    @Override
    public Result process(CompoundContext ctx, Void args) {
        ctx.setCurrentFh(Inode.ROOT);
        return Result.VOID;
    }
}
