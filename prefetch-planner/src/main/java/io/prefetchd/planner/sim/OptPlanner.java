package io.prefetchd.planner.sim;

import io.prefetchd.planner.EpochOrder;
import io.prefetchd.planner.Extent;
import io.prefetchd.planner.SampleExtents;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * Belady's MIN with bypass: it knows the whole trace; on a miss it keeps the extent only if something cached is
 * needed later than it (evicting farthest next use first), and never evicts anything needed sooner than the extent
 * it admits.
 *
 * <p>The next use of every access is precomputed by one backward pass over the trace (an extent access index per
 * read, as {@link DemandOnlyPlanner} numbers them). For equal-sized extents this is the optimal demand policy, the
 * hit-ratio bound every other policy is compared with; with mixed sizes, byte-optimal caching is NP-hard and MIN
 * is the customary reference, not a proven bound.
 */
final class OptPlanner extends DemandOnlyPlanner {
    private static final long NEVER = Long.MAX_VALUE;

    private final long[] nextUse;
    private final Map<Extent, Long> key = new HashMap<>();
    private final TreeSet<Extent> resident;
    private long used;

    OptPlanner(SampleExtents dataset, List<EpochOrder> epochs, long capacity) {
        super(dataset, capacity);
        List<Extent> accesses = new ArrayList<>();
        for (EpochOrder order : epochs) {
            for (int i = 0; i < order.size(); i++) {
                accesses.addAll(new LinkedHashSet<>(dataset.extentsOf(order.sampleAt(i))));
            }
        }
        nextUse = new long[accesses.size()];
        Arrays.fill(nextUse, NEVER);
        Map<Extent, Integer> seen = new HashMap<>();
        for (int k = accesses.size() - 1; k >= 0; k--) {
            Integer later = seen.put(accesses.get(k), k);
            if (later != null) {
                nextUse[k] = later;
            }
        }
        resident = new TreeSet<>((a, b) -> {
            int c = Long.compare(keyOf(b), keyOf(a));
            if (c != 0) {
                return c;
            }
            c = a.object().compareTo(b.object());
            return c != 0 ? c : Long.compare(a.offset(), b.offset());
        });
    }

    @Override
    boolean touch(Extent e, long accessIndex) {
        if (!key.containsKey(e)) {
            return false;
        }
        resident.remove(e);
        key.put(e, next(accessIndex));
        resident.add(e);
        return true;
    }

    private long next(long accessIndex) {
        if (accessIndex >= nextUse.length) {
            throw new IllegalStateException("the trace has " + nextUse.length + " extent reads; read "
                    + accessIndex + " is not in it");
        }
        return nextUse[(int) accessIndex];
    }

    @Override
    Admission admit(Extent e, long accessIndex) {
        long mine = next(accessIndex);
        if (e.length() > capacity || mine == NEVER && used + e.length() > capacity) {
            return Admission.BYPASS;
        }
        List<Extent> victims = new ArrayList<>();
        long free = capacity - used;
        for (Extent v : resident) {
            if (free >= e.length()) {
                break;
            }
            if (keyOf(v) <= mine) {
                return Admission.BYPASS; // everything cached is needed sooner: bypass
            }
            victims.add(v);
            free += v.length();
        }
        if (free < e.length()) {
            return Admission.BYPASS;
        }
        for (Extent v : victims) {
            resident.remove(v);
            key.remove(v);
            used -= v.length();
        }
        key.put(e, mine);
        resident.add(e);
        used += e.length();
        return Admission.keep(victims);
    }

    /** When a resident extent is next needed (every resident extent has a key). */
    private long keyOf(Extent e) {
        return requireNonNull(key.get(e), "a resident extent has a key");
    }
}
