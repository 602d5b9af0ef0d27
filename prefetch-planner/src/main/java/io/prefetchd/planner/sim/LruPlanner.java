package io.prefetchd.planner.sim;

import io.prefetchd.planner.Extent;
import io.prefetchd.planner.SampleExtents;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * Least recently used, by bytes: admit every miss, evict from the cold end until it fits. What most caching gateways
 * and FUSE mounts ship; under random epochs its hit ratio is {@code c + (1 − c)·ln(1 − c)}.
 */
final class LruPlanner extends DemandOnlyPlanner {
    private final LinkedHashMap<Extent, Long> order = new LinkedHashMap<>(16, 0.75f, true);
    private long used;

    LruPlanner(SampleExtents dataset, long capacity) {
        super(dataset, capacity);
    }

    @Override
    boolean touch(Extent e, long accessIndex) {
        return order.get(e) != null;
    }

    @Override
    Admission admit(Extent e, long accessIndex) {
        if (e.length() > capacity) {
            return Admission.BYPASS;
        }
        List<Extent> victims = new ArrayList<>();
        Iterator<Extent> it = order.keySet().iterator();
        while (used + e.length() > capacity) {
            Extent v = it.next();
            it.remove();
            used -= v.length();
            victims.add(v);
        }
        order.put(e, e.length());
        used += e.length();
        return Admission.keep(victims);
    }
}
