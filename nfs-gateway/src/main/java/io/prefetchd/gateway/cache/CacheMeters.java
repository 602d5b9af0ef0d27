package io.prefetchd.gateway.cache;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The cache's counters and the {@code prefetchd.cache.*} meters over them (docs/METRICS.md). Counters are
 * {@link LongAdder}s, bumped by any thread without a lock; the meters are registered on {@link #register} and
 * removed again on {@link #remove}.
 */
final class CacheMeters {
    final LongAdder hits = new LongAdder();
    final LongAdder misses = new LongAdder();
    final LongAdder hitBytes = new LongAdder();
    final LongAdder missBytes = new LongAdder();
    final LongAdder evictions = new LongAdder();
    final LongAdder corrupt = new LongAdder();
    final LongAdder writeFailures = new LongAdder();
    final LongAdder prefetchedBlocks = new LongAdder();
    final LongAdder released = new LongAdder();
    private final List<Meter> meters = new ArrayList<>();

    /** A snapshot with the index's figures, which the index reads under its lock. */
    CacheStats stats(long capacityBytes, long usedBytes, long blocks) {
        return new CacheStats(capacityBytes, usedBytes, blocks, hits.sum(), misses.sum(), hitBytes.sum(),
                missBytes.sum(), evictions.sum(), corrupt.sum(), writeFailures.sum());
    }

    /** Registers the meters; the gauges read {@code heldBlocks} and {@code usedBytes} when scraped. */
    void register(MeterRegistry registry, long capacityBytes, LongSupplier heldBlocks, LongSupplier usedBytes) {
        counter(registry, "prefetchd.cache.hits", hits, "Blocks served from local disk", null);
        counter(registry, "prefetchd.cache.misses", misses, "Blocks that had to come from the object store", null);
        counter(registry, "prefetchd.cache.hit.bytes", hitBytes, "Bytes returned from blocks on local disk", "bytes");
        counter(registry, "prefetchd.cache.miss.bytes", missBytes, "Bytes returned from fetched blocks", "bytes");
        counter(registry, "prefetchd.cache.evictions", evictions, "Blocks evicted to stay within capacity", null);
        counter(registry, "prefetchd.cache.corrupt", corrupt, "Block files that failed verification and were dropped",
                null);
        counter(registry, "prefetchd.cache.write.failures", writeFailures, "Blocks that could not be written to disk",
                null);
        counter(registry, "prefetchd.cache.prefetched", prefetchedBlocks,
                "Blocks fetched ahead of a read by the planner", null);
        counter(registry, "prefetchd.cache.released", released, "Held blocks the planner dropped to make room", null);
        meters.add(Gauge.builder("prefetchd.cache.held.blocks", heldBlocks, LongSupplier::getAsLong)
                .description("Blocks the prefetch planner holds (never evicted by the cache's own policy)")
                .strongReference(true)
                .register(registry));
        meters.add(Gauge.builder("prefetchd.cache.used.bytes", usedBytes, LongSupplier::getAsLong)
                .description("Bytes of block files on disk, including writes in progress")
                .baseUnit("bytes")
                .strongReference(true)
                .register(registry));
        meters.add(Gauge.builder("prefetchd.cache.capacity.bytes", () -> capacityBytes)
                .description("Configured bound on block files")
                .baseUnit("bytes")
                .register(registry));
    }

    void remove(MeterRegistry registry) {
        meters.forEach(registry::remove);
    }

    private void counter(MeterRegistry registry, String name, LongAdder adder, String description,
            @Nullable String unit) {
        FunctionCounter.Builder<LongAdder> builder = FunctionCounter.builder(name, adder, LongAdder::sum)
                .description(description);
        if (unit != null) {
            builder.baseUnit(unit);
        }
        meters.add(builder.register(registry));
    }
}
