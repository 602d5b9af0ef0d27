package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.v4.state.NfsState;
import io.prefetchd.gateway.nfs.xdr.Args;

/**
 * SETCLIENTID (RFC 7530 section 16.33). The callback address is accepted and never used: prefetchd grants no
 * delegations, so it never calls back.
 */
public final class OpSetclientid implements NfsOperation<Args.Setclientid> {
    @Override
    public Result process(CompoundContext ctx, Args.Setclientid args) throws NfsException {
        NfsState.SetclientidResult r = ctx.services().state().setclientid(args.id(), args.verifier(),
                ctx.caller().principal());
        return w -> w.writeLong(r.clientId()).writeFixedOpaque(r.confirmVerifier());
    }
}
