package io.prefetchd.planner.sim;

import io.prefetchd.planner.Extent;
import io.prefetchd.planner.SampleExtents;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Pin-c (CoorDL's "MinIO" policy): admit misses until the cache is full, then never evict. Under random epochs it
 * reaches OPT's hit ratio c, with no knowledge of the future.
 */
final class PinPlanner extends DemandOnlyPlanner {
    private final Set<Extent> pinned = new HashSet<>();
    private long used;

    PinPlanner(SampleExtents dataset, long capacity) {
        super(dataset, capacity);
    }

    @Override
    boolean touch(Extent e, long accessIndex) {
        return pinned.contains(e);
    }

    @Override
    Admission admit(Extent e, long accessIndex) {
        if (used + e.length() > capacity) {
            return Admission.BYPASS;
        }
        pinned.add(e);
        used += e.length();
        return Admission.keep(List.of());
    }
}
