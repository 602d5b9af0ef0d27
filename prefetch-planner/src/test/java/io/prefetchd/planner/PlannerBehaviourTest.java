package io.prefetchd.planner;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Behaviours of a planner session, one per test, driven by hand with simulated time. */
final class PlannerBehaviourTest {
    private static final long MB = 1_000_000;
    private static final long MS = 1_000_000;
    private static final StoreModel STORE = StoreModel.of(Duration.ofMillis(10), 100 * MB, 16);

    private static SampleExtents files(int n, long size) {
        List<List<Extent>> data = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            data.add(List.of(new Extent("train/" + i, 0, size)));
        }
        return SampleExtents.of(data);
    }

    private static PlannerConfig config(long capacity, long minWindow) {
        return PlannerConfig.of(capacity, STORE, 100 * MB).withWindowBounds(minWindow, 0.5);
    }

    private static int[] range(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    private static void completeAll(Planner planner, List<Fetch> fetches, long now) {
        for (Fetch f : fetches) {
            planner.onFetchCompleted(f.id(), now);
        }
    }

    @Test
    void read_ofAPrefetchedSample_needsNoDemandFetch() {
        Planner planner = Planners.withHints(files(10, MB), config(10 * MB, 4 * MB));
        planner.publish(EpochOrder.of(0, range(10)));
        List<Fetch> prefetched = planner.poll(0, 16);
        completeAll(planner, prefetched, 20 * MS);
        assertEquals(List.of(), planner.onRead(0, 30 * MS));
    }

    @Test
    void restart_forgetsTheOldRunsOrders_andPlansTheNewRunsFirstEpoch() {
        Planner planner = Planners.withHints(files(20, MB), config(6 * MB, 2 * MB));
        planner.publish(EpochOrder.of(0, range(20)));
        planner.onEpochStart(0, 0);
        planner.publish(EpochOrder.of(1, range(20)));
        planner.onEpochStart(1, MS);
        int[] reversed = new int[20];
        for (int i = 0; i < 20; i++) {
            reversed[i] = 19 - i;
        }
        planner.restart();   // the job runs again: its epoch 0 once more
        planner.publish(EpochOrder.of(0, reversed));
        planner.onEpochStart(0, 2 * MS);
        List<Fetch> first = planner.poll(2 * MS, 1);
        assertEquals(List.of(new Extent("train/19", 0, MB)), first.get(0).extents(), "the new run's order");
    }

    @Test
    void read_ofAnUnplannedSample_isADemandFetchDueNow() {
        Planner planner = Planners.learned(files(10, MB), config(10 * MB, 4 * MB));
        List<Fetch> demand = planner.onRead(7, 5 * MS);
        assertEquals(1, demand.size());
        Fetch f = demand.get(0);
        assertTrue(f.demand());
        assertEquals(5 * MS, f.deadlineNanos());
        assertEquals(List.of(new Extent("train/7", 0, MB)), f.extents());
    }

    @Test
    void pinnedSet_isKeptAcrossEpochs_andFillsToCapacityMinusWindow() {
        // random-order epochs over 100 samples, cache for 50: after the first epoch, about half of each epoch hits
        SampleExtents data = files(100, MB);
        PlannerConfig config = config(50 * MB, 5 * MB);
        Planner planner = Planners.learned(data, config);
        java.util.Random random = new java.util.Random(3);
        int hits = 0;
        long now = 0;
        java.util.Set<Extent> cached = new java.util.HashSet<>();
        for (int epoch = 0; epoch < 4; epoch++) {
            planner.onEpochStart(epoch, now);
            for (int s : PlannerPropertiesTest.permutation(100, random)) {
                now += 10 * MS; // 1 MB every 10 ms: the 100 MB/s the config expects
                Extent e = new Extent("train/" + s, 0, MB);
                if (cached.contains(e) && epoch > 0) {
                    hits++;
                }
                for (Fetch f : planner.onRead(s, now)) {
                    f.evictFirst().forEach(cached::remove);
                    if (f.cache()) {
                        cached.addAll(f.extents());
                    }
                    planner.onFetchCompleted(f.id(), now);
                }
            }
        }
        // pinned target 45 MB of 100 MB: 45 hits per epoch, plus the odd transient
        assertTrue(hits >= 3 * 45 && hits <= 3 * 50, "hits over 3 epochs: " + hits);
    }

    @Test
    void fasterReader_growsTheWindow_andShrinksThePinnedSet() {
        PlanningEngine planner = (PlanningEngine) Planners.learned(files(100, MB), config(50 * MB, MB));
        long before = planner.windowBudget();
        long now = 0;
        for (int s = 0; s < 100; s++) {
            now += MS; // 1 GB/s, ten times the expected rate
            completeAll(planner, planner.onRead(s, now), now);
        }
        planner.onEpochStart(1, now);
        assertTrue(planner.windowBudget() > 3 * before, before + " -> " + planner.windowBudget());
        assertEquals(50 * MB - planner.windowBudget(), planner.pinnedTarget());
        assertTrue(planner.pinnedBytes() <= planner.pinnedTarget());
    }

    @Test
    void requestRate_isCappedPerPrefix() {
        StoreModel slow = new StoreModel(Duration.ofMillis(10), 100 * MB, 1_000, 100);
        Planner planner = Planners.withHints(files(1_000, 1_000),
                PlannerConfig.of(MB, slow, 100 * MB).withWindowBounds(MB / 2, 0.5));
        planner.publish(EpochOrder.of(0, range(1_000)));
        int atOnce = planner.poll(0, 1_000).size();
        assertEquals(10, atOnce, "a burst of 0.1 s worth");
        int secondLater = planner.poll(1_000 * MS, 1_000).size();
        assertEquals(10, secondLater, "refilled, but never beyond the burst");
        assertEquals(5, planner.poll(1_050 * MS, 1_000).size(), "5 more after 50 ms at 100/s");
    }

    @Test
    void failedFetch_isPlannedAgain() {
        Planner planner = Planners.withHints(files(10, MB), config(10 * MB, 3 * MB));
        planner.publish(EpochOrder.of(0, range(10)));
        List<Fetch> first = planner.poll(0, 16);
        planner.onFetchFailed(first.get(0).id(), MS);
        List<Fetch> again = planner.poll(MS, 16);
        assertEquals(first.get(0).extents(), again.get(0).extents());
    }

    @Test
    void extentEvictedBehindItsBack_isPlannedAgain() {
        Planner planner = Planners.withHints(files(10, MB), config(10 * MB, 3 * MB));
        planner.publish(EpochOrder.of(0, range(10)));
        List<Fetch> first = planner.poll(0, 16);
        completeAll(planner, first, MS);
        planner.onEvicted(new Extent("train/1", 0, MB));
        List<Fetch> again = planner.poll(2 * MS, 16);
        assertEquals(List.of(new Extent("train/1", 0, MB)), again.get(0).extents());
    }

    @Test
    void republishedEpoch_prefetchesTheNewOrder() {
        Planner planner = Planners.withHints(files(20, MB), config(20 * MB, 3 * MB));
        planner.publish(EpochOrder.of(0, range(20)));
        completeAll(planner, planner.poll(0, 16), MS);
        planner.publish(EpochOrder.of(0, 19, 18, 17, 16, 15));
        List<Fetch> next = planner.poll(2 * MS, 16);
        assertEquals("train/19", next.get(0).object());
    }

    @Test
    void nextEpochPublishedEarly_isPrefetchedAcrossTheBoundary() {
        Planner planner = Planners.withHints(files(10, MB), config(5 * MB, 2 * MB));
        planner.publish(EpochOrder.of(0, 0, 1, 2, 3, 4));
        planner.publish(EpochOrder.of(1, 9, 8, 7, 6, 5));
        long now = 0;
        List<String> fetched = new ArrayList<>();
        for (int s = 0; s < 5; s++) {
            for (Fetch f : planner.poll(now, 16)) {
                fetched.add(f.object());
                planner.onFetchCompleted(f.id(), now);
            }
            for (Fetch f : planner.onRead(s, now)) {
                fetched.add(f.object());
                planner.onFetchCompleted(f.id(), now);
            }
            now += 10 * MS;
        }
        fetched.addAll(planner.poll(now, 16).stream().map(Fetch::object).toList());
        assertTrue(fetched.contains("train/9"), "the next epoch's first read was prefetched: " + fetched);
    }

    @Test
    void learned_sequentialStream_readsAheadInOneCoalescedGet() {
        List<Extent> members = new ArrayList<>();
        List<List<Extent>> data = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            Extent e = new Extent("shards/shard-0.tar", 512 + i * 10_512L, 10_000);
            members.add(e);
            data.add(List.of(e));
        }
        Planner planner = Planners.learned(SampleExtents.of(data), config(2 * MB, MB));
        planner.onEpochStart(0, 0);
        for (int s = 0; s < 3; s++) {
            for (Fetch f : planner.onRead(s, s * MS)) {
                planner.onFetchCompleted(f.id(), s * MS);
            }
        }
        List<Fetch> ahead = planner.poll(3 * MS, 16);
        assertFalse(ahead.isEmpty(), "a stream of 3 sequential reads gets read-ahead");
        assertEquals(members.get(3), ahead.get(0).extents().get(0));
        assertTrue(ahead.get(0).extents().size() > 1, "read-ahead coalesces members");
    }

    @Test
    void learned_randomReads_getNoReadAhead() {
        Planner planner = Planners.learned(files(100, MB), config(50 * MB, 5 * MB));
        planner.onEpochStart(0, 0);
        for (int s : new int[] {17, 3, 88, 41, 9}) {
            completeAll(planner, planner.onRead(s, 0), 0);
        }
        assertEquals(List.of(), planner.poll(MS, 16));
    }

    @Test
    void learned_epochRepeatingThePrevious_isReplayedAsAHint() {
        SampleExtents data = files(200, 10_000);
        Planner planner = Planners.learned(data, config(MB, 200_000));
        int[] order = PlannerPropertiesTest.permutation(200, new java.util.Random(5));
        planner.onEpochStart(0, 0);
        for (int s : order) {
            completeAll(planner, planner.onRead(s, 0), 0);
        }
        planner.onEpochStart(1, MS);
        for (int i = 0; i < 32; i++) {
            completeAll(planner, planner.onRead(order[i], MS), MS);
        }
        List<Fetch> next = planner.poll(2 * MS, 16);
        assertFalse(next.isEmpty(), "the rest of the repeated order is prefetched");
        int firstMissing = -1;
        for (int i = 32; i < order.length && firstMissing < 0; i++) {
            if (next.get(0).object().equals("train/" + order[i])) {
                firstMissing = i;
            }
        }
        assertTrue(firstMissing >= 32, "prefetches follow the previous order: " + next.get(0));
    }

    @Test
    void learned_epochRepeatedByConcurrentReaders_isReplayed() {
        // eight DataLoader workers: each epoch the same order, locally permuted by their interleaving
        SampleExtents data = files(400, 10_000);
        Planner planner = Planners.learned(data, config(MB, 200_000));
        int[] order = PlannerPropertiesTest.permutation(400, new java.util.Random(11));
        planner.onEpochStart(0, 0);
        for (int s : PlannerPropertiesTest.interleaved(order, 1)) {
            completeAll(planner, planner.onRead(s, 0), 0);
        }
        planner.onEpochStart(1, MS);
        int[] again = PlannerPropertiesTest.interleaved(order, 2);
        int demandAfterDetection = 0;
        for (int i = 0; i < again.length; i++) {
            long now = (2 + i) * MS;
            completeAll(planner, planner.poll(now, 16), now);
            List<Fetch> demand = planner.onRead(again[i], now);
            if (i >= 64 && !demand.isEmpty()) {
                demandAfterDetection++;
            }
            completeAll(planner, demand, now);
        }
        assertTrue(demandAfterDetection < 10, "reads after the replay was detected waited on a demand fetch: "
                + demandAfterDetection + " of " + (again.length - 64));
    }

    @Test
    void learned_historyFromTraces_predictsTheFirstEpoch() {
        SampleExtents data = files(100, 10_000);
        int[] order = PlannerPropertiesTest.permutation(100, new java.util.Random(9));
        Planner planner = Planners.learned(data, config(500_000, 100_000), List.of(EpochOrder.of(0, order)),
                List.of());
        planner.onEpochStart(1, 0);
        for (int i = 0; i < 32; i++) {
            completeAll(planner, planner.onRead(order[i], 0), 0);
        }
        assertFalse(planner.poll(MS, 16).isEmpty());
    }

    @Test
    void learned_historyOfARepeatedOrder_prefetchesTheFirstEpochBeforeItsFirstRead() {
        SampleExtents data = files(100, 10_000);
        int[] order = PlannerPropertiesTest.permutation(100, new java.util.Random(9));
        Planner repeated = Planners.learned(data, config(500_000, 100_000),
                List.of(EpochOrder.of(3, order), EpochOrder.of(4, order)), List.of());
        repeated.onEpochStart(0, 0);
        List<Fetch> ahead = repeated.poll(0, 16);
        assertFalse(ahead.isEmpty(), "the order repeated in the traces: predicted whole from the start");
        assertEquals("train/" + order[0], ahead.get(0).object());

        Planner once = Planners.learned(data, config(500_000, 100_000), List.of(EpochOrder.of(4, order)),
                List.of());
        once.onEpochStart(0, 0);
        assertTrue(once.poll(0, 16).isEmpty(), "one epoch of history: not known to repeat until reads match it");
    }

    @Test
    void restart_adoptsWhatTheCacheHolds() {
        SampleExtents data = files(10, MB);
        Planner planner = Planners.withHints(data, config(10 * MB, 3 * MB),
                List.of(new Extent("train/0", 0, MB), new Extent("not-ours", 0, 5)));
        planner.publish(EpochOrder.of(0, range(10)));
        assertEquals(List.of(), planner.onRead(0, 0));
    }

    /** A zero-byte file is a sample with no extents: read at once, and prefetching goes on past it. */
    @Test
    void emptySample_isReadWithoutAFetch_andPrefetchingGoesPastIt() {
        List<List<Extent>> data = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            data.add(i == 3 ? List.of() : List.of(new Extent("train/" + i, 0, MB)));
        }
        int[] order = {3, 0, 1, 2, 4, 5};
        for (Planner planner : List.of(Planners.withHints(SampleExtents.of(data), config(10 * MB, 4 * MB)),
                Planners.learned(SampleExtents.of(data), config(10 * MB, 4 * MB)))) {
            planner.publish(EpochOrder.of(0, order));
            planner.onEpochStart(0, 0);
            long now = 0;
            long prefetchedBytes = 0;
            for (int s : order) {
                List<Fetch> prefetched = planner.poll(now, 16);
                prefetchedBytes += prefetched.stream().mapToLong(Fetch::usefulBytes).sum();
                completeAll(planner, prefetched, now + 20 * MS);
                now += 30 * MS;
                assertEquals(List.of(), planner.onRead(s, now), "sample " + s + " was there when read");
            }
            assertEquals(5 * MB, prefetchedBytes, "every sample with bytes was prefetched once");
        }
    }

    @Test
    void emptySample_readWithoutHints_needsNoFetch() {
        Planner planner = Planners.learned(SampleExtents.of(List.of(List.of(), List.of(new Extent("a", 0, MB)))),
                config(10 * MB, 4 * MB));
        planner.onEpochStart(0, 0);
        assertEquals(List.of(), planner.onRead(0, 0));
        assertEquals(1, planner.onRead(1, MS).size());
    }

    @Test
    void read_ofAMissingSample_isRejected() {
        Planner planner = Planners.withHints(files(3, MB), config(MB, 100));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> planner.onRead(3, 0));
        assertEquals("sample 3 does not exist (the dataset has 3 samples)", e.getMessage());
    }

    @Test
    void publish_ofAnOrderNamingAMissingSample_isRejected() {
        Planner planner = Planners.withHints(files(3, MB), config(MB, 100));
        assertThrows(IllegalArgumentException.class, () -> planner.publish(EpochOrder.of(0, 0, 5)));
    }
}
