package io.prefetchd.gateway.reports;

import io.prefetchd.planner.Extent;
import io.prefetchd.planner.SampleExtents;
import io.prefetchd.planner.report.EpochLog;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Seeded epochs that look like the gateway's: a cold unhinted epoch that waits, a hinted one that does not. */
final class ReportFixtures {
    static final int SAMPLES = 2_000;
    static final long SAMPLE_BYTES = 100_000;
    static final long MS = 1_000_000L;

    private ReportFixtures() {
    }

    /** 2,000 samples of 100 kB in 20 tar shards. */
    static SampleExtents dataset() {
        List<List<Extent>> s = new ArrayList<>();
        for (int i = 0; i < SAMPLES; i++) {
            s.add(List.of(new Extent("train/shard-" + (i / 100) + ".tar", (i % 100) * SAMPLE_BYTES, SAMPLE_BYTES)));
        }
        return SampleExtents.of(s);
    }

    static int[] permutation(Random random) {
        int[] a = new int[SAMPLES];
        for (int i = 0; i < SAMPLES; i++) {
            a[i] = i;
        }
        for (int i = SAMPLES - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }

    /**
     * Records one epoch of {@code order} into {@code log} and ends it: half the reads hit the cache; with hints
     * the misses were prefetched 80 ms ahead (1 in 100 still waits 15 ms), without them each waits 40-60 ms on a
     * demand GET.
     */
    static void record(EpochLog log, int[] order, Random random) {
        boolean hinted = log.hinted();
        log.planned(order.length, order.length * SAMPLE_BYTES / 2);
        long t = log.startNanos();
        for (int sample : order) {
            long wait = 0;
            if (random.nextBoolean()) {
                String object = "train/shard-" + (sample / 100) + ".tar";
                long offset = (sample % 100) * SAMPLE_BYTES;
                if (hinted) {
                    wait = random.nextInt(100) == 0 ? 15 * MS : 0;
                    long start = Math.max(log.startNanos(), t - 80 * MS);
                    log.fetch(start, Math.max(start, t - 40 * MS), object, offset, SAMPLE_BYTES, SAMPLE_BYTES, false,
                            true);
                } else {
                    wait = 40 * MS + random.nextInt(20) * MS;
                    log.fetch(t, t + wait, object, offset, SAMPLE_BYTES, SAMPLE_BYTES, true, true);
                }
            }
            log.read(t, sample, SAMPLE_BYTES, wait);
            t += 2 * MS + wait / 8;
        }
        if (hinted) {
            log.prefetchedUnused(3 * SAMPLE_BYTES);
        }
        log.end(t);
    }
}
