package io.prefetchd.gateway.nfs.v4;

import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.ops.OpSequence;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.XdrException;
import io.prefetchd.gateway.nfs.xdr.XdrReader;
import io.prefetchd.gateway.nfs.xdr.XdrWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Executes one COMPOUND (RFC 8881 section 16.2, RFC 7530 section 15.2) from its XDR bytes to the reply's XDR
 * bytes.
 *
 * <p>Decoding comes first and is all-or-nothing: arguments that do not decode make the whole call GARBAGE_ARGS.
 * An operation that is answered without running (unknown opcode, a mutating or unsupported operation) ends
 * decoding there, because nothing after it would run. Minor versions above 1 get NFS4ERR_MINOR_VERS_MISMATCH
 * with no results, so a Linux mount negotiates down to 4.1. A COMPOUND of more than {@link #MAX_OPS} operations
 * is not decoded: in 4.0 it is NFS4ERR_RESOURCE with no results (RFC 7530 section 15.2.4); in 4.1 only its first
 * operation is decoded and run, and SEQUENCE answers NFS4ERR_TOO_MANY_OPS since no session allows that many.
 *
 * <p>Execution stops at the first failing operation; the COMPOUND status is that operation's. In a 4.1 session
 * the reply is kept within the channel's negotiated sizes (RFC 8881 section 18.46.3): when an operation's
 * result would take the reply, RPC header included, past ca_maxresponsesize, that result is replaced by
 * NFS4ERR_REP_TOO_BIG, and past ca_maxresponsesize_cached, when the client asked for caching, by
 * NFS4ERR_REP_TOO_BIG_TO_CACHE. The SEQUENCE slot is completed with the encoded reply (kept for
 * retransmissions when the client asked for caching) whatever happens after SEQUENCE succeeded. Thread-safe:
 * all per-request state is in the {@link CompoundContext}.
 */
public final class CompoundProcessor {
    private static final Logger LOG = LoggerFactory.getLogger(CompoundProcessor.class);
    /** More operations than any client sends (Linux: 8) and than any session allows. */
    static final int MAX_OPS = 128;
    /**
     * Bytes of an accepted RPC reply before the COMPOUND result (xid, message type, reply status, an AUTH_NONE
     * verifier, accept status), which the session's response sizes count too.
     */
    static final int RPC_REPLY_HEADER = 24;

    private final Nfs4Services services;
    private final NfsMetrics metrics;

    public CompoundProcessor(Nfs4Services services, NfsMetrics metrics) {
        this.services = requireNonNull(services, "services is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
    }

    private record Decoded(int opcode, Object args, NfsStatus fixed) {}

    /**
     * The reply as bytes.
     *
     * @throws XdrException when the request does not decode (answer GARBAGE_ARGS)
     */
    public byte[] process(byte[] request, CompoundContext.Caller caller) throws XdrException {
        return processReply(request, caller, 0).toByteArray();
    }

    /**
     * The reply, with READ payloads shared rather than copied (see {@link XdrWriter#writeOpaqueShared}).
     *
     * @param request        the COMPOUND arguments
     * @param rpcHeaderBytes the size of the RPC call header before them (credential and verifier included), which
     *                       a session's ca_maxrequestsize counts too
     * @throws XdrException when the request does not decode (answer GARBAGE_ARGS)
     */
    public XdrWriter processReply(byte[] request, CompoundContext.Caller caller, int rpcHeaderBytes)
            throws XdrException {
        metrics.compound();
        XdrReader r = new XdrReader(request);
        byte[] tag = r.readOpaque(Nfs4.OPAQUE_LIMIT);
        int minor = r.readInt();
        int count = r.readInt();
        XdrWriter w = new XdrWriter(1024);
        w.writeInt(0);
        w.writeOpaque(tag);
        int countAt = w.position();
        w.writeInt(0);
        if (minor < 0 || minor > 1) {
            w.patchInt(0, NfsStatus.NFS4ERR_MINOR_VERS_MISMATCH.code());
            return w;
        }
        boolean tooMany = count < 0 || count > MAX_OPS;
        if (tooMany && minor == 0) {
            w.patchInt(0, NfsStatus.NFS4ERR_RESOURCE.code());
            return w;
        }
        int toDecode = tooMany ? 1 : count;
        if ((long) toDecode * 4 > r.remaining()) {
            throw new XdrException("truncated XDR: " + count + " operations in " + r.remaining() + " bytes");
        }
        List<Decoded> ops = new ArrayList<>(toDecode);
        for (int i = 0; i < toDecode; i++) {
            int opcode = r.readInt();
            NfsStatus fixed = Operations.fixedStatus(opcode, minor);
            if (fixed != null) {
                ops.add(new Decoded(opcode, null, fixed));
                break;
            }
            ops.add(new Decoded(opcode, Args.decode(opcode, r), null));
        }
        int opCount = count < 0 ? Integer.MAX_VALUE : count;
        CompoundContext ctx = new CompoundContext(services, minor, opCount, caller,
                (long) rpcHeaderBytes + request.length);
        NfsStatus status = NfsStatus.NFS4_OK;
        int results = 0;
        try {
            for (int i = 0; i < ops.size(); i++) {
                Decoded op = ops.get(i);
                long start = System.nanoTime();
                int resultAt = w.position();
                NfsStatus st = op.fixed() != null ? op.fixed() : sessionRule(i, op.opcode(), opCount, minor);
                NfsOperation<Object> operation = st == null ? Operations.operation(op.opcode()) : null;
                NfsOperation.Result body = null;
                if (operation != null) {
                    try {
                        body = operation.process(ctx, op.args());
                        st = NfsStatus.NFS4_OK;
                    } catch (OpSequence.Replay replay) {
                        metrics.operation(op.opcode(), NfsStatus.NFS4_OK, System.nanoTime() - start);
                        byte[] cached = replay.reply();
                        return new XdrWriter(cached.length).writeFixedOpaque(cached);
                    } catch (NfsException e) {
                        st = e.status();
                        body = e instanceof NfsErrorWithBody withBody ? withBody.body() : null;
                        LOG.debug("{} -> {}", Operations.name(op.opcode()), e);
                    } catch (RuntimeException e) {
                        st = NfsStatus.NFS4ERR_SERVERFAULT;
                        LOG.warn("{} failed unexpectedly", Operations.name(op.opcode()), e);
                    }
                }
                writeResult(w, op.opcode(), st, body, operation);
                NfsStatus tooBig = replyTooBig(ctx, w);
                if (tooBig != null) {
                    w.truncate(resultAt);
                    st = tooBig;
                    writeResult(w, op.opcode(), st, null, operation);
                }
                results++;
                metrics.operation(op.opcode(), st, System.nanoTime() - start);
                if (st != NfsStatus.NFS4_OK) {
                    status = st;
                    break;
                }
            }
            services.releaseClosedWriters();
            w.patchInt(0, status.code());
            w.patchInt(countAt, results);
            if (ctx.slot() >= 0) {
                ctx.session().complete(ctx.slot(), ctx.cacheThis() ? w.toByteArray() : null);
            }
            return w;
        } catch (RuntimeException e) {
            if (ctx.slot() >= 0) {
                ctx.session().complete(ctx.slot(), null);
            }
            throw e;
        }
    }

    private static void writeResult(XdrWriter w, int opcode, NfsStatus st, NfsOperation.Result body,
                                    NfsOperation<Object> operation) {
        w.writeInt(st == NfsStatus.NFS4ERR_OP_ILLEGAL ? Nfs4.OP_ILLEGAL : opcode);
        w.writeInt(st.code());
        if (body != null) {
            body.encode(w);   // a success's result, or the body an error carries (a denied LOCK's conflict)
        } else if (st != NfsStatus.NFS4_OK && operation != null) {
            operation.failure(st).encode(w);
        }
    }

    /** The status replacing the last result when the reply outgrew the session's sizes, or null. */
    private static NfsStatus replyTooBig(CompoundContext ctx, XdrWriter w) {
        if (ctx.session() == null) {
            return null;
        }
        long size = (long) w.size() + RPC_REPLY_HEADER;
        if (size > Integer.toUnsignedLong(ctx.session().fore().maxResponseSize())) {
            return NfsStatus.NFS4ERR_REP_TOO_BIG;
        }
        if (ctx.cacheThis() && size > Integer.toUnsignedLong(ctx.session().fore().maxResponseSizeCached())) {
            return NfsStatus.NFS4ERR_REP_TOO_BIG_TO_CACHE;
        }
        return null;
    }

    /** The 4.1 rules on where SEQUENCE must be (RFC 8881 section 2.10.6 and 18.46.3), or null when fine. */
    private static NfsStatus sessionRule(int index, int opcode, int count, int minor) {
        if (minor == 0) {
            return null;
        }
        if (index == 0) {
            if (opcode == Nfs4.OP_SEQUENCE) {
                return null;
            }
            if (Operations.mayStartWithoutSequence(opcode)) {
                return count > 1 ? NfsStatus.NFS4ERR_NOT_ONLY_OP : null;
            }
            return NfsStatus.NFS4ERR_OP_NOT_IN_SESSION;
        }
        return opcode == Nfs4.OP_SEQUENCE ? NfsStatus.NFS4ERR_SEQUENCE_POS : null;
    }
}
