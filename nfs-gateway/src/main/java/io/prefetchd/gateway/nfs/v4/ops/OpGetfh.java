package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;

/** GETFH (RFC 8881 section 18.8). */
public final class OpGetfh implements NfsOperation<Void> {
    @Override
    public Result process(CompoundContext ctx, Void args) throws NfsException {
        byte[] fh = ctx.services().handles().encode(ctx.currentFh());
        return w -> w.writeOpaque(fh);
    }
}
