package io.prefetchd.gateway.fleet;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;
import java.util.function.IntSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FleetMetricsTest {
    /** An object that is certainly collected once nothing else refers to it: the gauges must refer to it. */
    private static final class Members implements IntSupplier {
        @Override
        public int getAsInt() {
            return 3;
        }
    }

    private static final class Capacity implements java.util.function.LongSupplier {
        @Override
        public long getAsLong() {
            return 3L * (8 << 20);
        }
    }

    @Test
    void gauges_keepReadingTheirSuppliers_afterTheCallersReferencesAreGone() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        FleetMetrics metrics = new FleetMetrics(registry);
        Members members = new Members();
        WeakReference<Members> probe = new WeakReference<>(members);
        metrics.watchMembers(registry, members);
        metrics.watchOwnership(registry, new Members());
        metrics.watchCapacity(registry, new Capacity());
        members = null;
        for (int i = 0; i < 10 && probe.get() != null; i++) {
            System.gc();
        }
        assertEquals(3.0, registry.get("prefetchd.fleet.members").gauge().value());
        assertEquals(3.0, registry.get("prefetchd.fleet.owned.partitions").gauge().value());
        assertEquals(3.0 * (8 << 20), registry.get("prefetchd.fleet.capacity.bytes").gauge().value());
    }
}
