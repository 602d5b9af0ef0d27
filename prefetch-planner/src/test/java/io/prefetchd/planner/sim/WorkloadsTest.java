package io.prefetchd.planner.sim;

import io.prefetchd.planner.EpochOrder;
import io.prefetchd.planner.Extent;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Synthetic workloads: every epoch reads every sample once, the same seed gives the same trace, layouts are real. */
final class WorkloadsTest {

    private static List<Workload> all(long seed) {
        return List.of(
                Workloads.randomPermutations(1_000, 1_000, 3, new Random(seed)),
                Workloads.webDataset(1_000, 1_000, 64, 3, new Random(seed)),
                Workloads.ranks(1_000, 1_000, 64, 3, 3, new Random(seed)),
                Workloads.parquet(1_000, 1_000, 16, 3, new Random(seed)),
                Workloads.repeated(1_000, 1_000, 3, new Random(seed)));
    }

    @Test
    void everyEpoch_readsEverySampleOnce() {
        for (Workload w : all(1)) {
            for (EpochOrder o : w.epochs()) {
                int[] sorted = o.toArray();
                Arrays.sort(sorted);
                for (int i = 0; i < sorted.length; i++) {
                    assertEquals(i, sorted[i], w.name());
                }
            }
        }
    }

    @Test
    void sameSeed_sameTrace_otherSeed_otherTrace() {
        List<Workload> a = all(5);
        List<Workload> b = all(5);
        List<Workload> c = all(6);
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).epochs(), b.get(i).epochs(), a.get(i).name());
            assertNotEquals(a.get(i).epochs(), c.get(i).epochs(), a.get(i).name());
        }
    }

    @Test
    void webDataset_membersSitBehindTarHeaders_andShardsAreReadFrontToBack() {
        Workload w = Workloads.webDataset(256, 10_000, 128, 2, new Random(3));
        List<Extent> first = w.dataset().extentsOf(0);
        assertEquals(new Extent("shards/shard-000000.tar", 512, 9_984), first.get(0));
        assertEquals(new Extent("shards/shard-000000.tar", 512 + 10_240 + 512, 16), first.get(1));
        assertEquals(256 * 10_000L, w.datasetBytes());
        int[] order = w.epochs().get(0).toArray();
        for (int i = 1; i < 128; i++) {
            assertEquals(order[0] + i, order[i], "a shard is read in order");
        }
    }

    @Test
    void ranks_interleaveTheirStreams() {
        Workload w = Workloads.ranks(1_024, 1_000, 64, 4, 1, new Random(3));
        int[] order = w.epochs().get(0).toArray();
        Set<String> shards = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            shards.add(w.dataset().extentsOf(order[i]).get(0).object());
        }
        assertEquals(4, shards.size(), "the first four reads come from four ranks' shards");
        assertEquals(order[0] + 1, order[4], "each rank continues its own shard");
    }

    @Test
    void parquet_readsTwoOfThreeColumns_skippingTheOneBetween() {
        Workload w = Workloads.parquet(32, 100_000, 16, 1, new Random(3));
        List<Extent> rowGroup = w.dataset().extentsOf(0);
        assertEquals(4, rowGroup.get(0).offset());
        assertEquals(5_000, rowGroup.get(0).length());
        assertEquals(4 + 5_000 + 10_000, rowGroup.get(1).offset());
        assertEquals(95_000, rowGroup.get(1).length());
        List<Extent> next = new ArrayList<>(w.dataset().extentsOf(1));
        assertEquals(rowGroup.get(1).end(), next.get(0).offset());
    }

    @Test
    void repeated_readsTheSameOrderEveryEpoch() {
        Workload w = Workloads.repeated(100, 10, 3, new Random(1));
        assertTrue(Arrays.equals(w.epochs().get(0).toArray(), w.epochs().get(2).toArray()));
    }
}
