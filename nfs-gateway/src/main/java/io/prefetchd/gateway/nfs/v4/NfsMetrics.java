package io.prefetchd.gateway.nfs.v4;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.prefetchd.gateway.LatencyBuckets;
import io.prefetchd.gateway.nfs.v4.state.NfsState;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * NFS metrics: per-operation latency ({@code prefetchd.nfs.op.latency}, tag op) and counts by status
 * ({@code prefetchd.nfs.ops}, tags op and status), COMPOUNDs, RPCs refused as GARBAGE_ARGS, connections the
 * server closed ({@code prefetchd.nfs.connections.closed}, tag reason), COMPOUNDs waiting on S3 without a thread
 * ({@code prefetchd.nfs.compounds.waiting}), and, once {@link #watch} is called, the
 * byte-range locks held ({@code prefetchd.nfs.locks.held}). Thread-safe.
 */
public final class NfsMetrics {
    private final MeterRegistry registry;
    /** Per opcode, its meters: looked up by number on every operation, so no key is built per operation. */
    private final Map<Integer, OpMeters> ops = new ConcurrentHashMap<>();
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Counter compounds;
    private final Counter garbage;
    private final AtomicInteger waiting = new AtomicInteger();

    public NfsMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.compounds = Counter.builder("prefetchd.nfs.compounds").description("COMPOUND requests").register(registry);
        this.garbage = Counter.builder("prefetchd.nfs.garbage.args")
                .description("RPC calls refused as GARBAGE_ARGS (malformed XDR)").register(registry);
        Gauge.builder("prefetchd.nfs.compounds.waiting", waiting, AtomicInteger::get)
                .description("COMPOUNDs suspended while an operation waits on S3 (holding no thread)")
                .register(registry);
    }

    /** A COMPOUND stopped to wait on storage without its thread. */
    void suspended() {
        waiting.incrementAndGet();
    }

    /** A suspended COMPOUND resumed. */
    void resumed() {
        waiting.decrementAndGet();
    }

    void operation(int opcode, NfsStatus status, long nanos) {
        OpMeters m = ops.computeIfAbsent(opcode, o -> new OpMeters(registry, Operations.name(o)));
        m.latency.record(nanos, TimeUnit.NANOSECONDS);
        m.count(status).increment();
    }

    /**
     * One operation's latency timer and its counters by status, registered on first use. Thread-safe: a counter
     * registered twice by racing threads is the same meter (the registry returns the one it has).
     */
    private static final class OpMeters {
        private static final NfsStatus[] STATUSES = NfsStatus.values();

        private final MeterRegistry registry;
        private final String op;
        private final Timer latency;
        private final AtomicReferenceArray<Counter> byStatus = new AtomicReferenceArray<>(STATUSES.length);

        OpMeters(MeterRegistry registry, String op) {
            this.registry = registry;
            this.op = op;
            this.latency = Timer.builder("prefetchd.nfs.op.latency").tag("op", op)
                    .serviceLevelObjectives(LatencyBuckets.bounds())
                    .description("time to execute one NFS operation").register(registry);
        }

        Counter count(NfsStatus status) {
            Counter c = byStatus.get(status.ordinal());
            if (c == null) {
                c = Counter.builder("prefetchd.nfs.ops").tag("op", op).tag("status", status.name())
                        .description("NFS operations by result").register(registry);
                byStatus.set(status.ordinal(), c);
            }
            return c;
        }
    }

    /** Publishes gauges of the protocol state: the byte-range locks held now. */
    public void watch(NfsState state) {
        Gauge.builder("prefetchd.nfs.locks.held", state, s -> s.locks().heldCount())
                .description("byte ranges locked now (LOCK), over all clients and files").register(registry);
    }

    void compound() {
        compounds.increment();
    }

    public void garbageArgs() {
        garbage.increment();
    }

    /** The server closed a connection: {@code idle}, or {@code record-too-large}. */
    public void connectionClosed(String reason) {
        counters.computeIfAbsent("connections/" + reason, k -> Counter.builder("prefetchd.nfs.connections.closed")
                .tag("reason", reason).description("NFS connections the server closed").register(registry))
                .increment();
    }
}
