package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.Args;

/** SETCLIENTID_CONFIRM (RFC 7530 section 16.34). */
public final class OpSetclientidConfirm implements NfsOperation<Args.SetclientidConfirm> {
    @Override
    public Result process(CompoundContext ctx, Args.SetclientidConfirm args) throws NfsException {
        ctx.services().state().setclientidConfirm(args.clientid(), args.confirm(),
                ctx.caller().principal());
        return Result.VOID;
    }
}
