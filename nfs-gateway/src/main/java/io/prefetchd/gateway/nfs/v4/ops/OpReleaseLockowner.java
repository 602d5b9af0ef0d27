package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.v4.state.ClientRecord;
import io.prefetchd.gateway.nfs.xdr.Args;

/**
 * RELEASE_LOCKOWNER (RFC 7530 section 16.37, 4.0 only): the client is done with a lock-owner; its lock stateids go
 * too. NFS4ERR_LOCKS_HELD while it still holds locks. Renews the client's lease.
 */
public final class OpReleaseLockowner implements NfsOperation<Args.ReleaseLockowner> {
    @Override
    public Result process(CompoundContext ctx, Args.ReleaseLockowner args) throws NfsException {
        ClientRecord client = ctx.services().state().renew(args.owner().clientid());
        ctx.services().state().locks().releaseOwner(client, args.owner().owner());
        return Result.VOID;
    }
}
