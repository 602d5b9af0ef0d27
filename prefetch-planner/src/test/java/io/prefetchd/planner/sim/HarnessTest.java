package io.prefetchd.planner.sim;

import io.prefetchd.planner.EpochOrder;
import io.prefetchd.planner.Extent;
import io.prefetchd.planner.Fetch;
import io.prefetchd.planner.SampleExtents;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The harness is the ground truth: it refuses planners that break the cache's rules, and models time as stated. */
final class HarnessTest {
    private static final SampleExtents DATA = files(4, 1_000);

    private static SampleExtents files(int n, long size) {
        List<List<Extent>> data = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            data.add(List.of(new Extent("f/" + i, 0, size)));
        }
        return SampleExtents.of(data);
    }

    private static Harness harness(DemandOnlyPlanner planner, long capacity, int epochs) {
        List<EpochOrder> orders = new ArrayList<>();
        for (int e = 0; e < epochs; e++) {
            orders.add(EpochOrder.of(e, 0, 1, 2, 3));
        }
        SimulationConfig config = SimulationConfig.defaults().withReader(1_000_000, 1).withStore(
                java.time.Duration.ofMillis(10), 1_000_000, 4);
        return new Harness(DATA, orders, new SimulationConfig(0.5, config.latency(), config.bandwidthBytesPerSecond(),
                config.concurrency(), config.readerBytesPerSecond(), 1, 0, 0, 3.0, List.of(PolicyKind.LRU)),
                capacity, planner, false);
    }

    @Test
    void planner_thatKeepsEverything_pastCapacity_isCaught() {
        DemandOnlyPlanner greedy = new DemandOnlyPlanner(DATA, 2_000) {
            @Override
            boolean touch(Extent e, long i) {
                return false;
            }

            @Override
            Admission admit(Extent e, long i) {
                return Admission.keep(List.of());
            }
        };
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> harness(greedy, 2_000, 1).run());
        assertTrue(e.getMessage().contains("past capacity"), e.getMessage());
    }

    @Test
    void planner_thatEvictsWhatIsNotCached_isCaught() {
        DemandOnlyPlanner liar = new DemandOnlyPlanner(DATA, 4_000) {
            @Override
            boolean touch(Extent e, long i) {
                return false;
            }

            @Override
            Admission admit(Extent e, long i) {
                return Admission.keep(List.of(new Extent("f/3", 0, 1_000)));
            }
        };
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> harness(liar, 4_000, 1).run());
        assertTrue(e.getMessage().contains("which is not cached"), e.getMessage());
    }

    @Test
    void planner_thatClaimsAHitItDoesNotHave_isCaught() {
        DemandOnlyPlanner forgetful = new DemandOnlyPlanner(DATA, 4_000) {
            @Override
            boolean touch(Extent e, long i) {
                return true;
            }

            @Override
            Admission admit(Extent e, long i) {
                return Admission.BYPASS;
            }
        };
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> harness(forgetful, 4_000, 1).run());
        assertTrue(e.getMessage().contains("unfetched"), e.getMessage());
    }

    @Test
    void demandOnly_readerOneDeep_waitsLatencyPlusTransferPerMiss() {
        // 4 misses of 1 kB at 10 ms + 1 ms each, then 1 ms of compute each: the epoch takes 4 × 12 ms
        Harness h = harness(new PinPlanner(DATA, 0), 0, 1);
        Harness.Stats s = h.run();
        assertEquals(48_000_000, s.epochNanos);
        assertEquals(4_000_000, s.computeNanos);
        assertEquals(4, s.waitedReads);
        assertEquals(4, s.requests);
    }

    @Test
    void hits_areReuse_notFirstReadsOfFetchedBytes() {
        Harness h = harness(new PinPlanner(DATA, 4_000), 4_000, 2);
        Harness.Stats s = h.run(); // no warm-up in this config: epoch 0 misses, epoch 1 hits
        assertEquals(4_000, s.hitBytes);
        assertEquals(8_000, s.readBytes);
        assertEquals(4, s.requests);
        assertEquals(2, s.epochs);
        assertTrue(s.maxUsed <= 4_000);
    }

    @Test
    void lru_inFlightVictimFromTheSameRead_isServedWithoutBeingKept() {
        // one sample larger than the cache: LRU admits and evicts its own pieces; the harness must stay consistent
        SampleExtents big = SampleExtents.of(List.of(List.of(new Extent("a", 0, 600), new Extent("b", 0, 600))));
        Harness h = new Harness(big, List.of(EpochOrder.of(0, 0), EpochOrder.of(1, 0)),
                SimulationConfig.defaults().withPolicies(List.of(PolicyKind.LRU)), 1_000, new LruPlanner(big, 1_000),
                false);
        Harness.Stats s = h.run();
        assertTrue(s.maxUsed <= 1_000);
    }
}
