package io.prefetchd.benchmarks.harness;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class WorkloadTest {
    private static Dataset fake(int n) {
        List<Dataset.Sample> s = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            s.add(new Dataset.Sample(i, "k", i, 1, 0));
        }
        return new Dataset("files", Path.of("."), "files", s, n, n, 1);
    }

    @Test
    void order_isAPermutation_sameForSameSeedAndEpoch_differentAcrossEpochs() {
        Workload w = new Workload(fake(1000), 2, 0, 1, 42);
        int[] e0 = w.order(0);
        int[] sorted = e0.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            assertEquals(i, sorted[i]);
        }
        assertArrayEquals(e0, new Workload(fake(1000), 8, 5, 1, 42).order(0));
        assertFalse(Arrays.equals(e0, w.order(1)));
    }

    @Test
    void percentile_nearestRank() {
        long[] v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertEquals(5, Workload.percentile(v, 0.5));
        assertEquals(10, Workload.percentile(v, 0.99));
        assertEquals(0, Workload.percentile(new long[0], 0.5));
    }
}
