package io.prefetchd.benchmarks.scale;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.function.Supplier;

/**
 * Measures the heap a structure retains: used heap after a full collection, before and after building it, while the
 * structure is still reachable. Good to a few percent for structures of tens of megabytes and more; run the JVM with
 * a fixed heap ({@code -Xms} = {@code -Xmx}) so the collector does not resize under the measurement.
 */
public final class HeapMeter {
    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    private HeapMeter() {
    }

    /** A built structure and the heap bytes it retains. */
    public record Retained<T>(T value, long bytes) {
    }

    /** Builds a structure with {@code build} and returns it with the heap bytes it retains. */
    public static <T> Retained<T> measure(Supplier<T> build) {
        long before = settledUsed();
        T value = build.get();
        long after = settledUsed();
        return new Retained<>(value, Math.max(0, after - before));
    }

    private static long settledUsed() {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            used = Math.min(used, MEMORY.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
