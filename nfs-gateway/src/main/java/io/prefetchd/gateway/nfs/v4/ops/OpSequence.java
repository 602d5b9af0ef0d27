package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.v4.state.Session;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;

/**
 * SEQUENCE (RFC 8881 section 18.46): checks the request against the session's ca_maxrequestsize and
 * ca_maxoperations (NFS4ERR_REQ_TOO_BIG, NFS4ERR_TOO_MANY_OPS, before the slot is touched) and the slot's
 * sequence id, renews the lease and binds the COMPOUND to its session and slot. A retransmission of the slot's
 * last request is answered by the COMPOUND processor with the cached reply ({@link Replay}); this class only
 * decides.
 */
public final class OpSequence implements NfsOperation<Args.Sequence> {

    /** Thrown to make the COMPOUND processor send a cached reply instead of executing. */
    public static final class Replay extends NfsException {
        private final byte[] reply;

        Replay(byte[] reply) {
            super(NfsStatus.NFS4_OK, "replay from the slot cache");
            this.reply = reply;
        }

        public byte[] reply() {
            return reply;
        }
    }

    @Override
    public Result process(CompoundContext ctx, Args.Sequence args) throws NfsException {
        Session session = ctx.services().state().session(args.sessionId());
        if (ctx.requestSize() > Integer.toUnsignedLong(session.fore().maxRequestSize())) {
            throw new NfsException(NfsStatus.NFS4ERR_REQ_TOO_BIG,
                    ctx.requestSize() + "-byte request, session allows " + session.fore().maxRequestSize());
        }
        if (ctx.opCount() > session.fore().maxOperations()) {
            throw new NfsException(NfsStatus.NFS4ERR_TOO_MANY_OPS,
                    ctx.opCount() + " operations, session allows " + session.fore().maxOperations());
        }
        NfsStatus[] error = new NfsStatus[1];
        Session.SlotDecision d = session.begin(args.slotId(), args.sequenceId(), error);
        if (d == null) {
            throw new NfsException(error[0], "slot " + args.slotId() + " seqid " + args.sequenceId());
        }
        if (d instanceof Session.SlotDecision.Replay r) {
            throw new Replay(r.reply());
        }
        ctx.services().state().renew(session.client());
        ctx.bindSession(session, args.slotId(), args.cacheThis());
        int highest = session.highestSlot();
        byte[] id = session.id();
        return w -> w.writeFixedOpaque(id).writeInt(args.sequenceId()).writeInt(args.slotId())
                .writeInt(highest).writeInt(highest).writeInt(0);
    }
}
