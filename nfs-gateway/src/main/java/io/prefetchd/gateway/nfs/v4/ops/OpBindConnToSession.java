package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;

import static io.prefetchd.gateway.nfs.xdr.Nfs4.*;

/**
 * BIND_CONN_TO_SESSION (RFC 8881 section 18.34). Any connection may carry any session's fore channel here, so
 * binding only confirms the session exists and answers the direction asked for.
 */
public final class OpBindConnToSession implements NfsOperation<Args.BindConnToSession> {
    @Override
    public Result process(CompoundContext ctx, Args.BindConnToSession args) throws NfsException {
        ctx.services().state().session(args.sessionId());
        int dir = switch (args.dir()) {
            case CDFC4_FORE -> CDFS4_FORE;
            case CDFC4_BACK -> CDFS4_BACK;
            case CDFC4_FORE_OR_BOTH, CDFC4_BACK_OR_BOTH -> CDFS4_BOTH;
            default -> throw new NfsException(NfsStatus.NFS4ERR_INVAL, "bad channel direction " + args.dir());
        };
        byte[] id = args.sessionId();
        return w -> w.writeFixedOpaque(id).writeInt(dir).writeBool(false);
    }
}
