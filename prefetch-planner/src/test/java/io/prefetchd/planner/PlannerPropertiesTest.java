package io.prefetchd.planner;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Property tests: random datasets (several objects, 1-3 extents per sample, varied sizes, small and large holes,
 * some extents shared by two samples), random orders (permutations, repeats, shard-like runs), random capacities,
 * random window settings, adversarial fetch slots and completion order. {@link PlannerDriver} checks every order.
 * Each seed is one case; the seeds are fixed so a failure reproduces.
 */
final class PlannerPropertiesTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
            26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40})
    void hinted_neverPlansPastCapacity_neverEvictsSoonerNeeded_deadlinesMonotone(int seed) {
        Random random = new Random(seed);
        Case c = randomCase(random);
        Planner planner = Planners.withHints(c.dataset, c.config);
        for (EpochOrder o : c.epochs) {
            planner.publish(o);
        }
        PlannerDriver driver = new PlannerDriver(c.dataset, c.trace(), c.config.capacityBytes(), planner,
                new Random(seed * 31L), true);
        int from = 0;
        for (EpochOrder o : c.epochs) {
            planner.onEpochStart(o.epoch(), from * 1_000_000L);
            driver.run(from, from + o.size(), from * 1_000_000L, 1_000_000L);
            from += o.size();
        }
        driver.drain(from * 1_000_000L);
        assertTrue(driver.usedBytes() <= c.config.capacityBytes());
    }

    @ParameterizedTest
    @ValueSource(ints = {301, 302, 303, 304, 305, 306, 307, 308, 309, 310, 311, 312, 313, 314, 315, 316})
    void resizedMidEpoch_shrinksAtOnceButForBytesInFlight_andKeepsEveryProperty(int seed) {
        Random random = new Random(seed);
        Case c = randomCase(random);
        Planner planner = seed % 2 == 0 ? Planners.withHints(c.dataset, c.config) : Planners.learned(c.dataset, c.config);
        for (EpochOrder o : c.epochs) {
            planner.publish(o);
        }
        PlannerDriver driver = new PlannerDriver(c.dataset, c.trace(), c.config.capacityBytes(), planner,
                new Random(seed), true);
        long full = c.config.capacityBytes();
        int from = 0;
        for (EpochOrder o : c.epochs) {
            planner.onEpochStart(o.epoch(), from * 1_000_000L);
            int half = o.size() / 2;
            driver.run(from, from + half, from * 1_000_000L, 1_000_000L);
            driver.resize(random.nextLong(full / 4, full + 1)); // a dataset added elsewhere takes a share
            driver.run(from + half, from + o.size(), (from + half) * 1_000_000L, 1_000_000L);
            driver.resize(full); // its job ended: the share comes back
            from += o.size();
        }
        driver.drain(from * 1_000_000L);
        driver.resize(full / 2);
        assertEquals(full / 2, planner.capacityBytes(), "nothing in flight: the shrink is complete at once");
        assertTrue(driver.usedBytes() <= full / 2);
    }

    @ParameterizedTest
    @ValueSource(ints = {101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118,
            119, 120})
    void hinted_publishedOneEpochAhead_keepsTheSameProperties(int seed) {
        Random random = new Random(seed);
        Case c = randomCase(random);
        Planner planner = Planners.withHints(c.dataset, c.config);
        planner.publish(c.epochs.get(0));
        PlannerDriver driver = new PlannerDriver(c.dataset, c.trace(), c.config.capacityBytes(), planner,
                new Random(seed), true);
        int from = 0;
        for (int e = 0; e < c.epochs.size(); e++) {
            if (e + 1 < c.epochs.size()) {
                planner.publish(c.epochs.get(e + 1));
            }
            planner.onEpochStart(e, from * 1_000_000L);
            driver.run(from, from + c.epochs.get(e).size(), from * 1_000_000L, 1_000_000L);
            from += c.epochs.get(e).size();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211, 212, 213, 214, 215, 216, 217, 218,
            219, 220})
    void learned_neverPlansPastCapacity_andFetchesEverythingItReads(int seed) {
        Random random = new Random(seed);
        Case c = randomCase(random);
        Planner planner = Planners.learned(c.dataset, c.config);
        PlannerDriver driver = new PlannerDriver(c.dataset, c.trace(), c.config.capacityBytes(), planner,
                new Random(seed), false);
        int from = 0;
        for (EpochOrder o : c.epochs) {
            planner.onEpochStart(o.epoch(), from * 1_000_000L);
            driver.run(from, from + o.size(), from * 1_000_000L, 1_000_000L);
            from += o.size();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {301, 302, 303, 304, 305, 306, 307, 308, 309, 310, 311, 312, 313, 314, 315})
    void hinted_withFailedFetchesAndForeignEvictions_replansAndKeepsTheProperties(int seed) {
        Random random = new Random(seed);
        Case c = randomCase(random);
        Planner planner = Planners.withHints(c.dataset, c.config);
        for (EpochOrder o : c.epochs) {
            planner.publish(o);
        }
        PlannerDriver driver = new PlannerDriver(c.dataset, c.trace(), c.config.capacityBytes(), planner,
                new Random(seed), true);
        driver.chaos = true;
        int from = 0;
        for (EpochOrder o : c.epochs) {
            planner.onEpochStart(o.epoch(), from * 1_000_000L);
            driver.run(from, from + o.size(), from * 1_000_000L, 1_000_000L);
            from += o.size();
        }
        assertTrue(driver.failed + driver.dropped > 0, "the case exercised no failure");
    }

    record Case(SampleExtents dataset, List<EpochOrder> epochs, PlannerConfig config) {
        int[] trace() {
            int n = 0;
            for (EpochOrder o : epochs) {
                n += o.size();
            }
            int[] t = new int[n];
            int k = 0;
            for (EpochOrder o : epochs) {
                for (int i = 0; i < o.size(); i++) {
                    t[k++] = o.sampleAt(i);
                }
            }
            return t;
        }
    }

    static Case randomCase(Random random) {
        int objects = 1 + random.nextInt(6);
        int samples = 20 + random.nextInt(120);
        List<List<Extent>> data = new ArrayList<>();
        long[] cursor = new long[objects];
        long total = 0;
        for (int s = 0; s < samples; s++) {
            List<Extent> extents = new ArrayList<>();
            int k = 1 + random.nextInt(3);
            int object = random.nextInt(objects);
            if (s > 0 && random.nextInt(12) == 0) {
                // share an extent with an earlier sample (a Parquet row group read by two rows)
                extents.add(data.get(random.nextInt(s)).get(0));
                k--;
            }
            for (int i = 0; i < k; i++) {
                long hole = random.nextInt(4) == 0 ? random.nextInt(200_000) : random.nextInt(600);
                long length = 1 + random.nextInt(random.nextBoolean() ? 2_000 : 60_000);
                cursor[object] += hole;
                extents.add(new Extent("bucket/p" + (object % 2) + "/obj-" + object, cursor[object], length));
                cursor[object] += length;
                total += length;
            }
            data.add(extents);
        }
        SampleExtents dataset = SampleExtents.of(data);
        int epochs = 2 + random.nextInt(3);
        List<EpochOrder> orders = new ArrayList<>();
        for (int e = 0; e < epochs; e++) {
            int[] order;
            switch (random.nextInt(3)) {
                case 0 -> order = permutation(samples, random);
                case 1 -> {
                    order = new int[samples + random.nextInt(samples)];
                    for (int i = 0; i < order.length; i++) {
                        order[i] = random.nextInt(samples);
                    }
                }
                default -> {
                    order = new int[samples];
                    int start = random.nextInt(samples);
                    for (int i = 0; i < samples; i++) {
                        order[i] = (start + i) % samples;
                    }
                }
            }
            orders.add(EpochOrder.of(e, order));
        }
        double fraction = 0.05 + 0.9 * random.nextDouble();
        long capacity = Math.max(1, (long) (fraction * total));
        StoreModel store = new StoreModel(Duration.ofMillis(1 + random.nextInt(60)), 1_000_000 + random.nextInt(
                200_000_000), 1 + random.nextInt(32), 50 + random.nextInt(5_000));
        PlannerConfig config = PlannerConfig.of(capacity, store, 1_000_000 + random.nextInt(100_000_000))
                .withCoalescing(random.nextInt(4) == 0 ? 0 : random.nextInt(100_000), 1 + random.nextInt(500_000),
                        random.nextDouble() * 0.5)
                .withWindowBounds(random.nextInt(100_000), 0.05 + 0.9 * random.nextDouble());
        return new Case(dataset, orders, config);
    }

    /** The order as 8 concurrent readers deliver it: each run of 8 consecutive samples arrives shuffled. */
    static int[] interleaved(int[] order, long seed) {
        int[] out = order.clone();
        java.util.Random r = new java.util.Random(seed);
        for (int b = 0; b < out.length; b += 8) {
            for (int i = Math.min(out.length, b + 8) - 1; i > b; i--) {
                int j = b + r.nextInt(i - b + 1);
                int t = out[i];
                out[i] = out[j];
                out[j] = t;
            }
        }
        return out;
    }

    static int[] permutation(int n, Random random) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
