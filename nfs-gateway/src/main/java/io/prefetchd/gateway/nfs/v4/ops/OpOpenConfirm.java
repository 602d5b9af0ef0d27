package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.v4.state.NfsState;
import io.prefetchd.gateway.nfs.v4.state.OpenState;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;

/** OPEN_CONFIRM (RFC 7530 section 16.18): confirms a new 4.0 open-owner. */
public final class OpOpenConfirm implements NfsOperation<Args.OpenConfirm> {
    @Override
    public Result process(CompoundContext ctx, Args.OpenConfirm args) throws NfsException {
        NfsState state = ctx.services().state();
        OpenState open = OpenStates.forFile(ctx, args.stateid(), ctx.currentFh());
        return SeqidReplies.run(ctx, open.owner(), args.seqid(), () -> {
            state.confirmOpen(open);
            StateId id = open.stateId();
            return new SeqidReplies.Reply(NfsStatus.NFS4_OK, id::encode, null, id);
        });
    }
}
