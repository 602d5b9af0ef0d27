package io.prefetchd.planner;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One-shot plans ({@link Planners#plan}): what is fetched, in which order, coalesced how, evicting what. */
final class PlansTest {
    private static final long MB = 1_000_000;
    /** 10 ms, 100 MB/s: small numbers that make the window easy to reason about. */
    private static final StoreModel STORE = StoreModel.of(Duration.ofMillis(10), 100 * MB, 16);

    /** {@code n} samples, each one object of {@code size} bytes. */
    private static SampleExtents files(int n, long size) {
        List<List<Extent>> data = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            data.add(List.of(new Extent("train/" + i, 0, size)));
        }
        return SampleExtents.of(data);
    }

    private static PlannerConfig config(long capacity) {
        // a window of half the capacity, so tiny datasets get several fetches
        return PlannerConfig.of(capacity, STORE, 100 * MB).withWindowBounds(capacity / 2, 0.5);
    }

    @Test
    void plan_fetchesMissesInOrderOfNeed_withNonDecreasingDeadlines() {
        SampleExtents data = files(10, MB);
        Plan plan = Planners.plan(PlanRequest.of(data, List.of(EpochOrder.of(0, 3, 1, 4, 0, 9, 2, 6, 5, 8, 7)),
                List.of(), config(10 * MB)));
        List<String> objects = plan.fetches().stream().map(Fetch::object).toList();
        assertEquals(List.of("train/3", "train/1", "train/4", "train/0", "train/9"), objects.subList(0, 5));
        long last = Long.MIN_VALUE;
        for (Fetch f : plan.fetches()) {
            assertTrue(f.deadlineNanos() >= last);
            last = f.deadlineNanos();
            assertFalse(f.demand());
            assertTrue(f.cache());
        }
    }

    @Test
    void plan_deadline_isWhenTheReaderGetsThere() {
        SampleExtents data = files(10, MB);
        // the reader consumes 100 MB/s = 100 samples of 1 MB per second: sample at position k is due at k × 10 ms
        Plan plan = Planners.plan(PlanRequest.of(data, List.of(EpochOrder.of(0, 0, 1, 2, 3)), List.of(),
                config(10 * MB)));
        assertEquals(0, plan.fetches().get(0).deadlineNanos());
        assertEquals(10_000_000, plan.fetches().get(1).deadlineNanos());
        assertEquals(20_000_000, plan.fetches().get(2).deadlineNanos());
    }

    @Test
    void plan_skipsWhatIsCached() {
        SampleExtents data = files(4, MB);
        Plan plan = Planners.plan(PlanRequest.of(data, List.of(EpochOrder.of(0, 0, 1, 2, 3)),
                List.of(new Extent("train/1", 0, MB), new Extent("train/2", 0, MB)), config(10 * MB)));
        assertEquals(List.of("train/0", "train/3"), plan.fetches().stream().map(Fetch::object).toList());
    }

    @Test
    void plan_startsAtThePosition() {
        SampleExtents data = files(4, MB);
        Plan plan = Planners.plan(new PlanRequest(data, List.of(EpochOrder.of(0, 0, 1, 2, 3)), 2, Set.of(),
                config(10 * MB)));
        assertEquals(List.of("train/2", "train/3"), plan.fetches().stream().map(Fetch::object).toList());
    }

    @Test
    void plan_coalescesNeighboursAcrossSmallHoles_withBoundedWaste() {
        // one tar-like object: members of 100 kB behind 512-byte headers
        List<List<Extent>> data = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            data.add(List.of(new Extent("shard-0.tar", 512 + i * 100_512L, 100_000)));
        }
        Plan plan = Planners.plan(PlanRequest.of(SampleExtents.of(data),
                List.of(EpochOrder.of(0, 0, 1, 2, 3, 4, 5, 6, 7)), List.of(), config(100 * MB)));
        Fetch first = plan.fetches().get(0);
        assertTrue(first.extents().size() > 1, "neighbours needed soon share a GET: " + plan.fetches());
        assertEquals(512, first.offset());
        assertEquals(first.extents().size() * 100_000L + (first.extents().size() - 1) * 512L, first.length());
        for (Fetch f : plan.fetches()) {
            assertTrue(f.wasteBytes() <= 0.125 * f.usefulBytes());
        }
    }

    @Test
    void plan_doesNotCoalesceAcrossHolesLargerThanMaxGap() {
        SampleExtents data = SampleExtents.of(List.of(
                List.of(new Extent("obj", 0, 100_000)),
                List.of(new Extent("obj", 100_000 + (64 << 10) + 1, 100_000))));
        Plan plan = Planners.plan(PlanRequest.of(data, List.of(EpochOrder.of(0, 0, 1)), List.of(), config(10 * MB)));
        assertEquals(2, plan.fetches().size());
    }

    @Test
    void plan_doesNotCoalesceExtentsNeededOutsideTheHorizon() {
        // neighbours in the object, but the second is read 10,000 positions later
        List<List<Extent>> data = new ArrayList<>();
        data.add(List.of(new Extent("obj", 0, 1_000)));
        data.add(List.of(new Extent("obj", 1_000, 1_000)));
        for (int i = 0; i < 10_000; i++) {
            data.add(List.of(new Extent("other/" + i, 0, 1_000)));
        }
        int[] order = new int[10_002];
        order[0] = 0;
        for (int i = 1; i <= 10_000; i++) {
            order[i] = i + 1;
        }
        order[10_001] = 1;
        Plan plan = Planners.plan(PlanRequest.of(SampleExtents.of(data), List.of(EpochOrder.of(0, order)), List.of(),
                config(100 * MB)));
        assertEquals(List.of(new Extent("obj", 0, 1_000)), plan.fetches().get(0).extents());
    }

    @Test
    void plan_evictsOnlyWhatIsNeededLaterThanWhatItAdmits() {
        // capacity 4 MB, all of it holding samples 4..7; the order reads 0, 1, 4, 2, 5
        SampleExtents data = files(8, MB);
        List<Extent> resident = List.of(new Extent("train/4", 0, MB), new Extent("train/5", 0, MB),
                new Extent("train/6", 0, MB), new Extent("train/7", 0, MB));
        PlannerConfig config = PlannerConfig.of(4 * MB, STORE, 100 * MB).withWindowBounds(2 * MB, 0.5);
        Plan plan = Planners.plan(PlanRequest.of(data, List.of(EpochOrder.of(0, 0, 1, 4, 2, 5)), resident, config));
        assertTrue(plan.evictions().stream().noneMatch(e -> e.object().equals("train/4")
                || e.object().equals("train/5")), "kept what is read soon: " + plan.evictions());
        assertEquals(List.of("train/0", "train/1"), plan.fetches().stream().map(Fetch::object).toList());
        assertEquals(2, plan.evictions().size());
    }

    @Test
    void plan_staysInsideItsWindow() {
        SampleExtents data = files(1_000, MB);
        int[] order = new int[1_000];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Plan plan = Planners.plan(PlanRequest.of(data, List.of(EpochOrder.of(0, order)), List.of(),
                config(1_000 * MB)));
        long fetched = plan.fetches().stream().mapToLong(Fetch::usefulBytes).sum();
        assertTrue(fetched <= plan.windowBytes(), fetched + " > " + plan.windowBytes());
        assertTrue(fetched > plan.windowBytes() - 2 * MB, "filled the window: " + fetched);
    }

    @Test
    void plan_windowIsLittlesLaw() {
        // D = 1,000 MB, C = 500 MB, reader 100 MB/s, margin 3, latency 10 ms, 1 MB at 100 MB/s = 10 ms:
        // W = (1 − 0.5) × 100 MB/s × 3 × 20 ms = 3 MB
        SampleExtents data = files(1_000, MB);
        Plan plan = Planners.plan(PlanRequest.of(data, List.of(EpochOrder.of(0, 0)), List.of(),
                PlannerConfig.of(500 * MB, STORE, 100 * MB)));
        assertEquals(3 * MB, plan.windowBytes());
        assertEquals(497 * MB, plan.pinnedTargetBytes());
    }

    @Test
    void plan_isPure() {
        SampleExtents data = files(50, MB);
        PlanRequest request = PlanRequest.of(data, List.of(EpochOrder.of(0, 5, 4, 3, 2, 1, 0, 10, 20, 30)),
                List.of(new Extent("train/4", 0, MB)), config(20 * MB));
        assertEquals(Planners.plan(request), Planners.plan(request));
    }

    @Test
    void plan_hintNamingAMissingSample_isRejectedWithTheSampleAndPosition() {
        SampleExtents data = files(3, MB);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Planners.plan(
                PlanRequest.of(data, List.of(EpochOrder.of(7, 0, 1, 3)), List.of(), config(MB))));
        assertEquals("the order of epoch 7 names sample 3 at position 2, but the dataset has 3 samples",
                e.getMessage());
    }

    @Test
    void plan_residentsBeyondCapacity_areRejected() {
        SampleExtents data = files(3, MB);
        assertThrows(IllegalArgumentException.class, () -> Planners.plan(PlanRequest.of(data,
                List.of(EpochOrder.of(0, 0)), List.of(new Extent("train/0", 0, MB), new Extent("train/1", 0, MB)),
                config(MB))));
    }
}
