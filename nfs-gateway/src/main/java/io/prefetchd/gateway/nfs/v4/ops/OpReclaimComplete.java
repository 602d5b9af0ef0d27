package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.Args;
import static java.util.Objects.requireNonNull;

/**
 * RECLAIM_COMPLETE (RFC 8881 section 18.51). With one_fs it concerns only the current file system and is always
 * accepted; the global form may be sent once per client ID.
 */
public final class OpReclaimComplete implements NfsOperation<Args.ReclaimComplete> {
    @Override
    public Result process(CompoundContext ctx, Args.ReclaimComplete args) throws NfsException {
        if (args.oneFs()) {
            ctx.currentFh();
            return Result.VOID;
        }
        ctx.services().state().reclaimComplete(
                requireNonNull(ctx.sessionClient(), "RECLAIM_COMPLETE runs after SEQUENCE"));
        return Result.VOID;
    }
}
