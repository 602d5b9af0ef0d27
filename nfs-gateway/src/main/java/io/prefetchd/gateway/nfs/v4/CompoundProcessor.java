package io.prefetchd.gateway.nfs.v4;

import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.nfs.FsErrors;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.ops.OpSequence;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.XdrException;
import io.prefetchd.gateway.nfs.xdr.XdrReader;
import io.prefetchd.gateway.nfs.xdr.XdrWriter;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

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
 * retransmissions when the client asked for caching) whatever happens after SEQUENCE succeeded, when the reply is
 * complete: a retransmission that arrives meanwhile finds the slot in use and gets NFS4ERR_DELAY.
 *
 * <p><b>Operations that wait on storage.</b> An operation may answer with a {@link Deferred} result (a READ whose
 * bytes are being fetched from S3). The COMPOUND then stops there without holding its thread and carries on, on the
 * {@code resume} executor, when the fetch completes; the operations after it run then, in order, and the reply
 * (and the slot's cached copy) is made when the last has run. So a worker thread never waits on S3 for a READ, and
 * cached reads keep flowing however slow S3 is. Thread-safe: all per-request state is in the {@link Run} and its
 * {@link CompoundContext}, which one thread at a time works on.
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
    private final Executor resume;

    /**
     * @param resume where a COMPOUND carries on after an operation's {@link Deferred} result completes: the NFS
     *               worker pool, so that neither S3 client threads nor the thread completing a fetch run NFS code
     */
    public CompoundProcessor(Nfs4Services services, NfsMetrics metrics, Executor resume) {
        this.services = requireNonNull(services, "services is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
        this.resume = requireNonNull(resume, "resume is null");
    }

    /** Carries on after a deferred result on the thread that completed it (tests calling {@link #process}). */
    public CompoundProcessor(Nfs4Services services, NfsMetrics metrics) {
        this(services, metrics, Runnable::run);
    }

    private record Decoded(int opcode, @Nullable Object args, @Nullable NfsStatus fixed) {}

    /**
     * The reply as bytes, waiting for operations that wait on storage.
     *
     * @throws XdrException when the request does not decode (answer GARBAGE_ARGS)
     */
    public byte[] process(byte[] request, CompoundContext.Caller caller) throws XdrException {
        try {
            return processAsync(request, caller, 0).join().toByteArray();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /**
     * Starts executing a COMPOUND and returns its reply, with READ payloads shared rather than copied (see
     * {@link XdrWriter#writeOpaqueShared}). The future is complete on return unless an operation waits on storage;
     * then the reply completes on a thread of the {@code resume} executor once the COMPOUND has run to its end.
     * It completes exceptionally only with an unexpected {@link RuntimeException} (answer SYSTEM_ERR).
     *
     * @param request        the COMPOUND arguments
     * @param rpcHeaderBytes the size of the RPC call header before them (credential and verifier included), which
     *                       a session's ca_maxrequestsize counts too
     * @throws XdrException when the request does not decode (answer GARBAGE_ARGS)
     */
    public CompletableFuture<XdrWriter> processAsync(byte[] request, CompoundContext.Caller caller,
                                                     int rpcHeaderBytes) throws XdrException {
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
            return CompletableFuture.completedFuture(w);
        }
        boolean tooMany = count < 0 || count > MAX_OPS;
        if (tooMany && minor == 0) {
            w.patchInt(0, NfsStatus.NFS4ERR_RESOURCE.code());
            return CompletableFuture.completedFuture(w);
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
        Run run = new Run(ops, ctx, w, countAt, minor, opCount);
        run.advance();
        return run.reply;
    }

    /** What one operation came to: the status and the body that follows it (null: the status's default body). */
    private record Outcome(NfsStatus status, NfsOperation.@Nullable Result body) {}

    /**
     * One COMPOUND being executed. Its operations run in order; when one answers with a {@link Deferred} that is
     * not complete yet, the run stops there and {@link #advance} is called again, on the {@code resume} executor,
     * once it is. Only one thread at a time touches a run (and its context): the hand-over through the future and
     * the executor orders everything the earlier thread did before what the next one does.
     */
    private final class Run {
        final List<Decoded> ops;
        final CompoundContext ctx;
        final XdrWriter w;
        final int countAt;
        final int minor;
        final int opCount;
        final CompletableFuture<XdrWriter> reply = new CompletableFuture<>();
        int next;
        int results;
        NfsStatus status = NfsStatus.NFS4_OK;

        Run(List<Decoded> ops, CompoundContext ctx, XdrWriter w, int countAt, int minor, int opCount) {
            this.ops = ops;
            this.ctx = ctx;
            this.w = w;
            this.countAt = countAt;
            this.minor = minor;
            this.opCount = opCount;
        }

        /** Runs operations from {@code next} until the COMPOUND ends or one waits on storage. */
        void advance() {
            try {
                while (next < ops.size()) {
                    Decoded op = ops.get(next);
                    long start = System.nanoTime();
                    NfsStatus fixed = op.fixed() != null ? op.fixed() : sessionRule(next, op.opcode(), opCount, minor);
                    if (fixed != null) {
                        if (!record(op, null, new Outcome(fixed, null), start)) {
                            break;
                        }
                        continue;
                    }
                    NfsOperation<Object> operation = Operations.operation(op.opcode());
                    Outcome outcome;
                    try {
                        NfsOperation.Result body = process(operation, ctx, op.args());
                        if (body instanceof Deferred d) {
                            if (!d.waitFor().isDone()) {
                                metrics.suspended();
                                d.waitFor().whenCompleteAsync((v, e) -> resume(op, operation, d, start), resume);
                                return;
                            }
                            body = d.then().get();
                        }
                        outcome = new Outcome(NfsStatus.NFS4_OK, body);
                    } catch (OpSequence.Replay replay) {
                        metrics.operation(op.opcode(), NfsStatus.NFS4_OK, System.nanoTime() - start);
                        byte[] cached = replay.reply();
                        reply.complete(XdrWriter.of(cached));
                        return;
                    } catch (NfsException | FsException | RuntimeException e) {
                        outcome = failed(op.opcode(), e);
                    }
                    if (!record(op, operation, outcome, start)) {
                        break;
                    }
                }
                finish();
            } catch (RuntimeException e) {
                fail(e);
            }
        }

        /** Carries on after {@code d} completed: its continuation gives the operation's outcome. */
        private void resume(Decoded op, NfsOperation<Object> operation, Deferred d, long start) {
            metrics.resumed();
            try {
                Outcome outcome;
                try {
                    NfsOperation.Result body = d.then().get();
                    if (body instanceof Deferred) {
                        throw new IllegalStateException(Operations.name(op.opcode()) + " deferred twice");
                    }
                    outcome = new Outcome(NfsStatus.NFS4_OK, body);
                } catch (NfsException | FsException | RuntimeException e) {
                    outcome = failed(op.opcode(), e);
                }
                if (record(op, operation, outcome, start)) {
                    advance();
                } else {
                    finish();
                }
            } catch (RuntimeException e) {
                fail(e);
            }
        }

        private Outcome failed(int opcode, Exception e) {
            if (e instanceof NfsException nfs) {
                LOG.debug("{} -> {}", Operations.name(opcode), nfs);
                return new Outcome(nfs.status(), nfs instanceof NfsErrorWithBody withBody ? withBody.body() : null);
            }
            if (e instanceof FsException fs) {
                LOG.debug("{} -> {}", Operations.name(opcode), fs);
                return new Outcome(FsErrors.status(fs.error()), null);
            }
            LOG.warn("{} failed unexpectedly", Operations.name(opcode), e);
            return new Outcome(NfsStatus.NFS4ERR_SERVERFAULT, null);
        }

        /**
         * Writes the operation's result (replaced when it would take the reply past the session's sizes) and
         * counts it; returns whether the COMPOUND goes on.
         */
        private boolean record(Decoded op, @Nullable NfsOperation<Object> operation, Outcome outcome, long start) {
            int resultAt = w.position();
            NfsStatus st = outcome.status();
            writeResult(w, op.opcode(), st, outcome.body(), operation);
            NfsStatus tooBig = replyTooBig(ctx, w);
            if (tooBig != null) {
                w.truncate(resultAt);
                st = tooBig;
                writeResult(w, op.opcode(), st, null, operation);
            }
            results++;
            next++;
            metrics.operation(op.opcode(), st, System.nanoTime() - start);
            if (st != NfsStatus.NFS4_OK) {
                status = st;
                return false;
            }
            return true;
        }

        /** Ends the COMPOUND: status and count patched in, the slot completed with the reply, the reply sent. */
        private void finish() {
            services.releaseClosedWriters();
            w.patchInt(0, status.code());
            w.patchInt(countAt, results);
            if (ctx.slot() >= 0) {
                requireNonNull(ctx.session(), "a slot is held only with its session")
                        .complete(ctx.slot(), ctx.cacheThis() ? w.toByteArray() : null);
            }
            reply.complete(w);
        }

        private void fail(RuntimeException e) {
            if (ctx.slot() >= 0) {
                requireNonNull(ctx.session(), "a slot is held only with its session").complete(ctx.slot(), null);
            }
            reply.completeExceptionally(e);
        }
    }

    /** Runs {@code operation} on its arguments: null for the operations that take none (theirs are {@link Void}). */
    // NullAway cannot see that A is Void, whose only value is null, where args is null: a false positive
    @SuppressWarnings("NullAway")
    private static NfsOperation.Result process(NfsOperation<Object> operation, CompoundContext ctx,
                                               @Nullable Object args) throws NfsException, FsException {
        return operation.process(ctx, args);
    }

    private static void writeResult(XdrWriter w, int opcode, NfsStatus st, NfsOperation.@Nullable Result body,
                                    @Nullable NfsOperation<Object> operation) {
        w.writeInt(st == NfsStatus.NFS4ERR_OP_ILLEGAL ? Nfs4.OP_ILLEGAL : opcode);
        w.writeInt(st.code());
        if (body != null) {
            body.encode(w);   // a success's result, or the body an error carries (a denied LOCK's conflict)
        } else if (st != NfsStatus.NFS4_OK && operation != null) {
            operation.failure(st).encode(w);
        }
    }

    /** The status replacing the last result when the reply outgrew the session's sizes, or null. */
    private static @Nullable NfsStatus replyTooBig(CompoundContext ctx, XdrWriter w) {
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
    private static @Nullable NfsStatus sessionRule(int index, int opcode, int count, int minor) {
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
