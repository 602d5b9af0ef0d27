package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.v4.state.NfsState;
import io.prefetchd.gateway.nfs.v4.state.OpenState;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;

/**
 * CLOSE (RFC 8881 section 18.2). In 4.1 it answers the invalid special stateid, as section 18.2.4 recommends; in
 * 4.0 the stateid with its seqid advanced.
 */
public final class OpClose implements NfsOperation<Args.Close> {
    @Override
    public Result process(CompoundContext ctx, Args.Close args) throws NfsException {
        NfsState state = ctx.services().state();
        OpenState open = OpenStates.forFile(ctx, args.stateid(), ctx.currentFh());
        return SeqidReplies.run(ctx, open.owner(), args.seqid(), () -> {
            state.close(open);
            StateId id = ctx.minorVersion() >= 1 ? StateId.INVALID : open.stateId();
            return new SeqidReplies.Reply(NfsStatus.NFS4_OK, id::encode, null, id);
        });
    }
}
