package io.prefetchd.planner.sim;

import io.prefetchd.planner.EpochOrder;
import io.prefetchd.planner.Extent;
import io.prefetchd.planner.Fetch;
import io.prefetchd.planner.Planner;
import io.prefetchd.planner.SampleExtents;
import io.prefetchd.planner.StoreModel;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A classic cache as a {@link Planner}: it never prefetches; on a read it fetches the missing extents on demand
 * and decides, extent by extent, whether to keep them and what to evict ({@link #admit}). Neighbouring missing
 * extents of one sample in one object (a WebDataset sample's members) share one GET when their admission agrees,
 * so the baselines are not charged extra requests for the layout.
 *
 * <p>Not thread-safe; one simulation run per instance.
 */
abstract class DemandOnlyPlanner implements Planner {
    private static final long MAX_GAP = 64 << 10;

    final SampleExtents dataset;
    final long capacity;
    private long nextId = 1;
    /** Position in the trace: the number of reads seen so far. */
    long reads;

    DemandOnlyPlanner(SampleExtents dataset, long capacity) {
        this.dataset = dataset;
        this.capacity = capacity;
    }

    /** Records a read of {@code e}; true if the policy holds it (cached or in flight). */
    abstract boolean touch(Extent e, long accessIndex);

    /** What to do with a missing extent: keep it or not, and what the policy evicted meanwhile. */
    record Admission(boolean keep, List<Extent> victims) {
        static final Admission BYPASS = new Admission(false, List.of());

        static Admission keep(List<Extent> victims) {
            return new Admission(true, victims);
        }
    }

    /** Decides whether to keep a missing extent and what to evict. */
    abstract Admission admit(Extent e, long accessIndex);

    /** Index of the next extent access in the flattened trace (for OPT); reads in order. */
    private long accessIndex;

    @Override
    public final List<Fetch> onRead(int sample, long nowNanos) {
        reads++;
        List<Extent> extents = new ArrayList<>(new LinkedHashSet<>(dataset.extentsOf(sample)));
        List<Extent> missing = new ArrayList<>();
        for (Extent e : extents) {
            if (!touch(e, accessIndex++)) {
                missing.add(e);
            }
        }
        if (missing.isEmpty()) {
            return List.of();
        }
        // decide in read order, then group into GETs
        long index = accessIndex - extents.size();
        List<Extent> kept = new ArrayList<>();
        List<Extent> evict = new ArrayList<>();
        Set<Extent> keptSet = new HashSet<>();
        for (Extent e : extents) {
            long i = index++;
            if (!missing.contains(e)) {
                continue;
            }
            Admission admission = admit(e, i);
            for (Extent v : admission.victims()) {
                if (keptSet.remove(v)) {
                    kept.remove(v); // evicted what this very read admitted: serve it without keeping it
                } else {
                    evict.add(v);
                }
            }
            if (admission.keep()) {
                kept.add(e);
                keptSet.add(e);
            }
        }
        missing.sort(Comparator.comparing(Extent::object).thenComparingLong(Extent::offset));
        List<Fetch> out = new ArrayList<>();
        int i = 0;
        while (i < missing.size()) {
            Extent first = missing.get(i);
            boolean cache = keptSet.contains(first);
            int j = i + 1;
            while (j < missing.size()) {
                Extent prev = missing.get(j - 1);
                Extent cur = missing.get(j);
                if (!cur.object().equals(prev.object()) || cur.offset() - prev.end() > MAX_GAP
                        || keptSet.contains(cur) != cache) {
                    break;
                }
                j++;
            }
            List<Extent> group = missing.subList(i, j);
            long start = group.get(0).offset();
            long end = group.get(group.size() - 1).end();
            out.add(new Fetch(nextId++, first.object(), start, end - start, group, cache,
                    out.isEmpty() ? evict : List.of(), nowNanos, true));
            i = j;
        }
        return out;
    }

    @Override
    public void publish(EpochOrder order) {
        // classic caches take no hints
    }

    @Override
    public void onEpochStart(int epoch, long nowNanos) {
    }

    @Override
    public void restart() {
        // a classic cache knows no future to forget
    }

    @Override
    public final List<Fetch> poll(long nowNanos, int maxRequests) {
        return List.of();
    }

    @Override
    public void onFetchCompleted(long fetchId, long nowNanos) {
    }

    @Override
    public void onFetchFailed(long fetchId, long nowNanos) {
        throw new UnsupportedOperationException("the simulator does not fail fetches");
    }

    @Override
    public void onEvicted(Extent extent) {
        throw new UnsupportedOperationException("the simulator does not evict behind a planner's back");
    }

    @Override
    public void updateStoreModel(StoreModel model) {
    }
}
