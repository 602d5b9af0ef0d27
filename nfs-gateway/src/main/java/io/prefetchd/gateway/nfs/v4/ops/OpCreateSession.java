package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsLimits;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.v4.state.NfsState;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.Args.ChannelAttrs;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;

import static io.prefetchd.gateway.nfs.xdr.Nfs4.CREATE_SESSION4_FLAG_CONN_BACK_CHAN;
import static io.prefetchd.gateway.nfs.xdr.Nfs4.CREATE_SESSION4_FLAG_CONN_RDMA;
import static io.prefetchd.gateway.nfs.xdr.Nfs4.CREATE_SESSION4_FLAG_PERSIST;

/**
 * CREATE_SESSION (RFC 8881 section 18.36). The fore channel gets the client's sizes capped at the server's
 * limits; the back channel is accepted as asked (prefetchd never sends callbacks) unless it is too small to
 * carry one callback, NFS4ERR_TOOSMALL. PERSIST is not granted; undefined csa_flags bits are NFS4ERR_INVAL.
 */
public final class OpCreateSession implements NfsOperation<Args.CreateSession> {
    /** Smallest response a session can work with: a SEQUENCE reply plus a little. */
    private static final int MIN_RESPONSE = 256;
    /**
     * Smallest back channel request and reply: a CB_COMPOUND of CB_SEQUENCE and CB_RECALL (a stateid and a file
     * handle) with its RPC header. Linux asks 4096 of each, 2 operations and 16 slots.
     */
    private static final int MIN_BACK_SIZE = 256;
    private static final int MIN_BACK_OPERATIONS = 2;
    private static final int DEFINED_FLAGS = CREATE_SESSION4_FLAG_PERSIST | CREATE_SESSION4_FLAG_CONN_BACK_CHAN
            | CREATE_SESSION4_FLAG_CONN_RDMA;

    @Override
    public Result process(CompoundContext ctx, Args.CreateSession args) throws NfsException {
        if ((args.flags() & ~DEFINED_FLAGS) != 0) {
            throw new NfsException(NfsStatus.NFS4ERR_INVAL,
                    "undefined csa_flags bits 0x" + Integer.toHexString(args.flags() & ~DEFINED_FLAGS));
        }
        NfsLimits limits = ctx.services().limits();
        ChannelAttrs f = args.fore();
        if (f.maxRequests() <= 0 || f.maxOperations() <= 0) {
            throw new NfsException(NfsStatus.NFS4ERR_INVAL, "fore channel needs slots and operations");
        }
        if (Integer.toUnsignedLong(f.maxResponseSize()) < MIN_RESPONSE
                || Integer.toUnsignedLong(f.maxRequestSize()) < MIN_RESPONSE) {
            throw new NfsException(NfsStatus.NFS4ERR_TOOSMALL, "fore channel sizes too small");
        }
        ChannelAttrs b = args.back();
        if (Integer.toUnsignedLong(b.maxRequestSize()) < MIN_BACK_SIZE
                || Integer.toUnsignedLong(b.maxResponseSize()) < MIN_BACK_SIZE
                || Integer.toUnsignedLong(b.maxOperations()) < MIN_BACK_OPERATIONS
                || b.maxRequests() == 0) {
            throw new NfsException(NfsStatus.NFS4ERR_TOOSMALL, "back channel too small to carry a callback");
        }
        ChannelAttrs fore = new ChannelAttrs(0,
                min(f.maxRequestSize(), limits.maxRequestSize()),
                min(f.maxResponseSize(), limits.maxResponseSize()),
                min(f.maxResponseSizeCached(), limits.maxResponseSizeCached()),
                min(f.maxOperations(), limits.maxOperations()),
                min(f.maxRequests(), limits.maxRequests()),
                new int[0]);
        ChannelAttrs back = new ChannelAttrs(0, b.maxRequestSize(), b.maxResponseSize(), b.maxResponseSizeCached(),
                b.maxOperations(), Math.max(1, min(b.maxRequests(), 16)), new int[0]);
        int flags = args.flags() & CREATE_SESSION4_FLAG_CONN_BACK_CHAN;
        NfsState.CreatedSession s = ctx.services().state().createSession(args.clientid(), args.sequence(), flags,
                fore, back, ctx.caller().principal());
        return w -> {
            w.writeFixedOpaque(s.sessionId()).writeInt(s.sequence()).writeInt(s.flags());
            s.fore().encode(w);
            s.back().encode(w);
        };
    }

    private static int min(int clientValue, int serverLimit) {
        return (int) Math.min(Integer.toUnsignedLong(clientValue), serverLimit);
    }
}
