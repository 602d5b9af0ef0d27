package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.v4.state.NfsState;
import io.prefetchd.gateway.nfs.v4.state.OpenState;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;

/** OPEN_DOWNGRADE (RFC 8881 section 18.18). */
public final class OpOpenDowngrade implements NfsOperation<Args.OpenDowngrade> {
    @Override
    public Result process(CompoundContext ctx, Args.OpenDowngrade args) throws NfsException {
        NfsState state = ctx.services().state();
        OpenState open = OpenStates.forFile(ctx, args.stateid(), ctx.currentFh());
        return SeqidReplies.run(ctx, open.owner(), args.seqid(), () -> {
            state.downgrade(open, args.shareAccess() & Nfs4.OPEN4_SHARE_ACCESS_MASK, args.shareDeny());
            StateId id = open.stateId();
            return new SeqidReplies.Reply(NfsStatus.NFS4_OK, id::encode, null, id);
        });
    }
}
