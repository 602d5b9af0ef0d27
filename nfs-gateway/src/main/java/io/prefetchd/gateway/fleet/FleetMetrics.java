package io.prefetchd.gateway.fleet;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.function.IntSupplier;

import static java.util.Objects.requireNonNull;

/** The fleet's meters (docs/METRICS.md, "Fleet"). Thread-safe: Micrometer's counters are. */
final class FleetMetrics {
    private final Counter peerOk;
    private final Counter peerFallback;
    private final Counter peerFailed;
    private final Counter receivedBytes;
    private final Counter servedReads;
    private final Counter servedBytes;
    private final Counter prefetchSkippedBytes;
    private final Counter peerRefused;
    private final Counter handoverBytes;
    private final Counter handoverMisses;

    FleetMetrics(MeterRegistry registry) {
        requireNonNull(registry, "registry is null");
        String reads = "prefetchd.fleet.peer.reads";
        String readsHelp = "reads of blocks another member owns, sent to that owner, by outcome: ok (the owner's "
                + "bytes), fallback (owner unreachable: read from S3 here), refused (the owner refused this member's "
                + "fleet token: read from S3 here), failed (the object is gone or changed)";
        peerOk = Counter.builder(reads).tag("outcome", "ok").description(readsHelp).register(registry);
        peerFallback = Counter.builder(reads).tag("outcome", "fallback").description(readsHelp).register(registry);
        peerFailed = Counter.builder(reads).tag("outcome", "failed").description(readsHelp).register(registry);
        peerRefused = Counter.builder(reads).tag("outcome", "refused").description(readsHelp).register(registry);
        receivedBytes = Counter.builder("prefetchd.fleet.peer.received.bytes")
                .description("bytes received from owners over the peer data channel").register(registry);
        servedReads = Counter.builder("prefetchd.fleet.peer.served.reads")
                .description("peer reads this member answered from its cache").register(registry);
        servedBytes = Counter.builder("prefetchd.fleet.peer.served.bytes")
                .description("bytes this member sent to other members over the peer data channel").register(registry);
        prefetchSkippedBytes = Counter.builder("prefetchd.fleet.prefetch.skipped.bytes")
                .description("bytes the planner asked to prefetch that other members own (they prefetch them)")
                .register(registry);
        handoverBytes = Counter.builder("prefetchd.fleet.handover.bytes")
                .description("bytes of grains that moved to this member fetched from their previous owner's cache "
                        + "instead of S3").register(registry);
        handoverMisses = Counter.builder("prefetchd.fleet.handover.misses")
                .description("runs of grains that moved to this member their previous owner did not hand over "
                        + "(not held, or no answer): read from S3").register(registry);
    }

    /**
     * Reports the fleet's size as {@code prefetchd.fleet.members}. The gauges hold their suppliers strongly: a
     * gauge keeps only a weak reference by default, and a method reference held by nothing else would be collected,
     * leaving the gauge NaN.
     */
    void watchMembers(MeterRegistry registry, IntSupplier members) {
        Gauge.builder("prefetchd.fleet.members", members, s -> s.getAsInt()).strongReference(true)
                .description("members of the fleet this gateway sees, itself included").register(registry);
    }

    /** Reports this member's share of the partitions as {@code prefetchd.fleet.owned.partitions}. */
    void watchOwnership(MeterRegistry registry, IntSupplier owned) {
        Gauge.builder("prefetchd.fleet.owned.partitions", owned, s -> s.getAsInt()).strongReference(true)
                .description("partitions of the fleet's 271 this member owns: its share of the cache's grains")
                .register(registry);
    }

    /** Reports the sum of the members' caches as {@code prefetchd.fleet.capacity.bytes}. */
    void watchCapacity(MeterRegistry registry, java.util.function.LongSupplier bytes) {
        Gauge.builder("prefetchd.fleet.capacity.bytes", bytes, s -> s.getAsLong()).strongReference(true)
                .description("the fleet's cache: the capacities of the members' caches added up, as they publish them")
                .register(registry);
    }

    void peerOk(int bytes) {
        peerOk.increment();
        receivedBytes.increment(bytes);
    }

    /** Bytes received from owners so far. */
    long receivedBytes() {
        return (long) receivedBytes.count();
    }

    void peerFallback() {
        peerFallback.increment();
    }

    void peerFailed() {
        peerFailed.increment();
    }

    void peerRefused() {
        peerRefused.increment();
    }

    void served(int bytes) {
        servedReads.increment();
        servedBytes.increment(bytes);
    }

    void handedOver(int bytes) {
        handoverBytes.increment(bytes);
    }

    void handoverMissed() {
        handoverMisses.increment();
    }

    void prefetchSkipped(long bytes) {
        prefetchSkippedBytes.increment(bytes);
    }
}
