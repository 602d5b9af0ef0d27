package io.prefetchd.planner;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Drives a {@link Planner} through a trace like an executor would, but adversarially: fetch slots offered at
 * random, completions delivered in random order, and every order checked against an independent model of the
 * cache and an oracle that knows the whole trace.
 *
 * <p>Checks, on every order: evictions name cached (landed) extents; fetched extents are neither cached nor in
 * flight; cached plus in-flight bytes never exceed the capacity; deadlines within one poll never decrease; and,
 * when {@code checkBelady}, no evicted extent is needed (by the oracle) sooner than or as soon as an extent the same
 * fetch admits. Reads are in order, so the oracle's position is the read count.
 */
final class PlannerDriver {
    private static final long NEVER = Long.MAX_VALUE;

    private final SampleExtents dataset;
    private final int[] trace;
    private long capacity;
    private final Planner planner;
    private final Random random;
    private final boolean checkBelady;

    private final Set<Extent> resident = new HashSet<>();
    private final Map<Extent, Long> inflightCached = new HashMap<>();
    private final Set<Extent> inflightAny = new HashSet<>();
    private final Map<Long, Fetch> inflight = new LinkedHashMap<>();
    private final Map<Extent, List<Integer>> positions = new HashMap<>();
    private long used;
    private int position;
    long fetches;
    long evictions;
    long demandFetches;
    long hits;
    /** Fail some prefetches and evict some cached extents behind the planner's back. */
    boolean chaos;
    long failed;
    long dropped;

    PlannerDriver(SampleExtents dataset, int[] trace, long capacity, Planner planner, Random random,
                  boolean checkBelady) {
        this.dataset = dataset;
        this.trace = trace;
        this.capacity = capacity;
        this.planner = planner;
        this.random = random;
        this.checkBelady = checkBelady;
        for (int p = 0; p < trace.length; p++) {
            for (Extent e : dataset.extentsOf(trace[p])) {
                List<Integer> list = positions.computeIfAbsent(e, k -> new ArrayList<>());
                if (list.isEmpty() || list.get(list.size() - 1) != p) {
                    list.add(p);
                }
            }
        }
    }

    /** Runs the reads of {@code [from, to)} of the trace; epoch boundaries are announced by the caller. */
    void run(int from, int to, long startNanos, long nanosPerRead) {
        for (position = from; position < to; position++) {
            long now = startNanos + (position - from) * nanosPerRead;
            completeSome(now);
            poll(now, position);
            int sample = trace[position];
            for (Extent e : new HashSet<>(dataset.extentsOf(sample))) {
                if (resident.contains(e)) {
                    hits++;
                }
            }
            List<Fetch> demand = planner.onRead(sample, now);
            for (Fetch f : demand) {
                assertTrue(f.demand(), "onRead returned a prefetch");
                demandFetches++;
                apply(f, position + 1);
            }
            for (Extent e : dataset.extentsOf(sample)) {
                assertTrue(resident.contains(e) || inflightAny.contains(e),
                        "read of sample " + sample + " at " + position + ": " + e + " neither cached nor coming");
            }
            poll(now, position + 1);
        }
    }

    void drain(long now) {
        while (!inflight.isEmpty()) {
            completeSome(now);
        }
    }

    private void completeSome(long now) {
        if (chaos && !resident.isEmpty() && random.nextInt(10) == 0) {
            Extent victim = new ArrayList<>(resident).get(random.nextInt(resident.size()));
            resident.remove(victim);
            used -= victim.length();
            dropped++;
            planner.onEvicted(victim);
        }
        List<Long> ids = new ArrayList<>(inflight.keySet());
        for (long id : ids) {
            if (chaos && !inflight.get(id).demand() && random.nextInt(15) == 0) {
                Fetch f = inflight.remove(id);
                for (Extent e : f.extents()) {
                    inflightAny.remove(e);
                    if (inflightCached.remove(e) != null) {
                        used -= e.length();
                    }
                }
                failed++;
                planner.onFetchFailed(id, now);
                continue;
            }
            if (random.nextInt(3) == 0 || ids.size() > 48) {
                Fetch f = inflight.remove(id);
                for (Extent e : f.extents()) {
                    inflightAny.remove(e);
                    Long bytes = inflightCached.remove(e);
                    if (bytes != null) {
                        resident.add(e);
                    }
                }
                planner.onFetchCompleted(id, now);
            }
        }
    }

    private void poll(long now, int needFrom) {
        int slots = random.nextInt(6);
        List<Fetch> out = planner.poll(now, slots);
        assertTrue(out.size() <= slots, "more prefetches than slots");
        long last = Long.MIN_VALUE;
        for (Fetch f : out) {
            assertTrue(!f.demand(), "poll returned a demand fetch");
            assertTrue(f.deadlineNanos() >= last, "deadlines decrease within a poll: " + out);
            last = f.deadlineNanos();
            apply(f, needFrom);
        }
    }

    private void apply(Fetch f, int needFrom) {
        fetches++;
        for (Extent v : f.evictFirst()) {
            assertTrue(resident.remove(v), "fetch " + f.id() + " evicts " + v + ", which is not cached");
            used -= v.length();
            evictions++;
        }
        if (checkBelady && f.cache() && !f.evictFirst().isEmpty()) {
            long latestAdmitted = -1;
            for (Extent x : f.extents()) {
                latestAdmitted = Math.max(latestAdmitted, nextUse(x, needFrom));
            }
            for (Extent v : f.evictFirst()) {
                long victim = nextUse(v, needFrom);
                if (victim != NEVER && victim <= latestAdmitted) {
                    fail("fetch " + f.id() + " at read " + position + " evicts " + v + " (next read " + victim
                            + ") to admit " + f.extents() + " (needed by " + latestAdmitted + ")");
                }
            }
        }
        for (Extent x : f.extents()) {
            assertTrue(!resident.contains(x) && !inflightAny.contains(x),
                    "fetch " + f.id() + " fetches " + x + ", already cached or coming");
            inflightAny.add(x);
            if (f.cache()) {
                inflightCached.put(x, x.length());
                used += x.length();
            }
        }
        inflight.put(f.id(), f);
        long cachedBytes = 0;
        for (Extent e : resident) {
            cachedBytes += e.length();
        }
        for (long b : inflightCached.values()) {
            cachedBytes += b;
        }
        assertEquals(used, cachedBytes, "byte accounting");
        assertTrue(used <= capacity, "planned past capacity: " + used + " > " + capacity + " after fetch " + f);
    }

    private long nextUse(Extent e, int from) {
        List<Integer> list = positions.get(e);
        if (list == null) {
            return NEVER;
        }
        int lo = 0;
        int hi = list.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (list.get(mid) < from) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo < list.size() ? list.get(lo) : NEVER;
    }

    /**
     * The executor gives the planner {@code newCapacity}: the driver drops what the planner says, checks that it
     * then plans within the new capacity (or, while bytes in flight hold it up, within exactly those bytes), and
     * holds it to that from then on.
     */
    void resize(long newCapacity) {
        for (Extent v : planner.resize(newCapacity)) {
            assertTrue(resident.remove(v), "resize evicts " + v + ", which is not cached");
            used -= v.length();
        }
        long reported = planner.capacityBytes();
        assertEquals(Math.max(newCapacity, used), reported, "capacity after a resize to " + newCapacity);
        capacity = reported;
    }

    long usedBytes() {
        return used;
    }
}
