package io.prefetchd.planner;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SampleStartsTest {
    /** Starts of {@code n} samples of 0 to {@code max} extents each (zero: a sample with no bytes). */
    private static int[] starts(int n, int max, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] starts = new int[n + 1];
        for (int s = 0; s < n; s++) {
            starts[s + 1] = starts[s] + (random.nextInt(10) == 0 ? 0 : 1 + random.nextInt(max));
        }
        return starts;
    }

    private static void assertAnswersAsTheArray(int[] starts, int n) {
        SampleStarts packed = SampleStarts.of(starts, n);
        for (int s = 0; s <= n; s++) {
            assertEquals(starts[s], packed.start(s), "start of " + s);
        }
        for (int s = 0; s < n; s++) {
            for (int e = starts[s]; e < starts[s + 1]; e++) {
                assertEquals(s, packed.sampleOf(e), "sample of id " + e);
            }
        }
    }

    @Test
    void packed_answersAsThePlainStarts_acrossStridesAndEmptySamples() {
        assertAnswersAsTheArray(starts(1000, 3, 1), 1000);
        assertAnswersAsTheArray(starts(SampleStarts.STRIDE * 3, 255, 2), SampleStarts.STRIDE * 3);
        assertAnswersAsTheArray(new int[] {0, 0, 0, 1, 1, 3}, 5);
    }

    @Test
    void aSampleOfMoreThan255Extents_keepsPlainStarts_withTheSameAnswers() {
        int[] starts = starts(300, 2, 3);
        for (int s = 150; s <= 300; s++) {
            starts[s] += 1000; // sample 149 reads 1,000 more extents
        }
        assertAnswersAsTheArray(starts, 300);
    }
}
