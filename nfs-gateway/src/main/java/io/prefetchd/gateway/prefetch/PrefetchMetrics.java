package io.prefetchd.gateway.prefetch;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/** The executor's Prometheus meters (docs/METRICS.md). Thread-safe (Micrometer counters). */
final class PrefetchMetrics {
    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();
    private final Counter prefetchOk;
    private final Counter prefetchFailed;
    private final Counter demandOk;
    private final Counter demandFailed;
    private final Counter prefetchBytes;
    private final Counter demandBytes;
    private final Counter evictions;
    private final Counter samples;
    private final Counter readsNoWait;
    private final Counter readsWaited;

    PrefetchMetrics(MeterRegistry registry) {
        this.registry = requireNonNull(registry, "registry is null");
        prefetchOk = gets("prefetch", "ok");
        prefetchFailed = gets("prefetch", "failed");
        demandOk = gets("demand", "ok");
        demandFailed = gets("demand", "failed");
        prefetchBytes = bytes("prefetch");
        demandBytes = bytes("demand");
        evictions = add(Counter.builder("prefetchd.planner.evictions")
                .description("Cache blocks the planner dropped to make room for ones needed sooner")
                .register(registry));
        samples = add(Counter.builder("prefetchd.planner.samples.read")
                .description("Samples of planned datasets read (each counted once per epoch)")
                .register(registry));
        readsNoWait = reads("no_wait");
        readsWaited = reads("waited");
    }

    private Counter gets(String kind, String outcome) {
        return add(Counter.builder("prefetchd.planner.gets").tag("kind", kind).tag("outcome", outcome)
                .description("GETs the planner issued: prefetch (ahead of need) or demand (a reader waits)")
                .register(registry));
    }

    private Counter bytes(String kind) {
        return add(Counter.builder("prefetchd.planner.get.bytes").tag("kind", kind).baseUnit("bytes")
                .description("Bytes of the GETs the planner issued").register(registry));
    }

    private Counter reads(String served) {
        return add(Counter.builder("prefetchd.planner.reads").tag("served", served)
                .description("READs of planned datasets: served without waiting on S3, or after waiting")
                .register(registry));
    }

    private <M extends Meter> M add(M meter) {
        meters.add(meter);
        return meter;
    }

    void fetched(boolean demand, boolean ok, long length) {
        if (demand) {
            (ok ? demandOk : demandFailed).increment();
            if (ok) {
                demandBytes.increment(length);
            }
        } else {
            (ok ? prefetchOk : prefetchFailed).increment();
            if (ok) {
                prefetchBytes.increment(length);
            }
        }
    }

    void evicted(int extents) {
        if (extents > 0) {
            evictions.increment(extents);
        }
    }

    void sampleRead() {
        samples.increment();
    }

    void served(boolean waited) {
        (waited ? readsWaited : readsNoWait).increment();
    }

    void register(Meter meter) {
        meters.add(meter);
    }

    void close() {
        meters.forEach(registry::remove);
    }
}
