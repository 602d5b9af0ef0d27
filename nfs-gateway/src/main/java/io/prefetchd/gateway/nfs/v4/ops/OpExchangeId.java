package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.v4.state.NfsState;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;

import static io.prefetchd.gateway.nfs.xdr.Nfs4.*;

/**
 * EXCHANGE_ID (RFC 8881 section 18.35). prefetchd is not a pNFS server (USE_NON_PNFS) and offers no state
 * protection beyond SP4_NONE.
 */
public final class OpExchangeId implements NfsOperation<Args.ExchangeId> {
    /** The eia_flags a client may send (RFC 8881 section 18.35.3); any other bit is NFS4ERR_INVAL. */
    static final int CLIENT_FLAGS = EXCHGID4_FLAG_SUPP_MOVED_REFER | EXCHGID4_FLAG_SUPP_MOVED_MIGR
            | EXCHGID4_FLAG_SUPP_FENCE_OPS | EXCHGID4_FLAG_BIND_PRINC_STATEID | EXCHGID4_FLAG_MASK_PNFS
            | EXCHGID4_FLAG_UPD_CONFIRMED_REC_A;
    private static final String IMPL_DOMAIN = "prefetchd.io";
    private static final String IMPL_NAME = "prefetchd NFSv4.1 gateway";

    @Override
    public Result process(CompoundContext ctx, Args.ExchangeId args) throws NfsException {
        if ((args.flags() & EXCHGID4_FLAG_CONFIRMED_R) != 0) {
            throw new NfsException(NfsStatus.NFS4ERR_INVAL, "client set EXCHGID4_FLAG_CONFIRMED_R");
        }
        if ((args.flags() & ~CLIENT_FLAGS) != 0) {
            throw new NfsException(NfsStatus.NFS4ERR_INVAL,
                    "undefined eia_flags bits 0x" + Integer.toHexString(args.flags() & ~CLIENT_FLAGS));
        }
        if (args.stateProtect() != SP4_NONE) {
            throw new NfsException(NfsStatus.NFS4ERR_INVAL, "only SP4_NONE state protection is offered");
        }
        NfsState.ExchangeIdResult r = ctx.services().state().exchangeId(args.ownerId(), args.verifier(), args.flags(),
                ctx.caller().principal());
        int flags = EXCHGID4_FLAG_USE_NON_PNFS | (r.confirmed() ? EXCHGID4_FLAG_CONFIRMED_R : 0);
        byte[] owner = ctx.services().serverOwner();
        return w -> {
            w.writeLong(r.clientId()).writeInt(r.sequenceId()).writeInt(flags);
            w.writeInt(SP4_NONE);
            w.writeLong(0).writeOpaque(owner);   // server_owner4: minor id, major id
            w.writeOpaque(owner);                // server scope
            w.writeInt(1).writeUtf8(IMPL_DOMAIN).writeUtf8(IMPL_NAME).writeLong(0).writeInt(0);
        };
    }
}
