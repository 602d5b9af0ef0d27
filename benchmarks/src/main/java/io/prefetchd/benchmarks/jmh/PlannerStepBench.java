package io.prefetchd.benchmarks.jmh;

import io.prefetchd.planner.EpochOrder;
import io.prefetchd.planner.Extent;
import io.prefetchd.planner.Fetch;
import io.prefetchd.planner.Planner;
import io.prefetchd.planner.PlannerConfig;
import io.prefetchd.planner.Planners;
import io.prefetchd.planner.SampleExtents;
import io.prefetchd.planner.StoreModel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Question: on a 1M-sample epoch with c = 0.5, what does the hinted planner cost the gateway's planner thread: once
 * per epoch to take a published order ({@link #publish}, and {@link #build} once per dataset), and per sample read
 * ({@link #step}: what {@code DatasetPrefetcher} calls for one READ of a new sample)? Is a step small next to the
 * time a sample takes to read (100 KB at 200 MB/s is 500 µs)?
 *
 * <p>Rerun: {@code benchmarks/run-jmh PlannerStepBench -f 1 -wi 2 -i 5} ({@code build} and {@code publish} are
 * single shots with a fresh planner each; {@code step} is an average). Smaller epochs: {@code -p samples=100000}.
 *
 * <p>The dataset: {@code samples} samples of one extent each (75-125 KB, seeded), 1,000 per object (tar-shard
 * like), objects named {@code train/shard-NNNNNN.tar@etag}. Config as {@code PrefetchExecutor} builds it: capacity
 * c·D, a 40 ms / 200 MB/s / 16-GET store prior, 200 MB/s read-rate prior, no coalescing gap, read slack
 * min(1,024, samples / 8). (The gateway hands the planner cache blocks rather than samples; with ~100 KB samples
 * and the 16 KiB grain that is about 7 extents per sample, so a real step does up to that many times the extent
 * work measured here.)
 *
 * <p>{@link #step} runs the executor's sequence against a simulated clock and store: the clock advances by the
 * sample's bytes at 200 MB/s; {@code onFetchCompleted} for GETs whose simulated completion (40 ms + bytes at
 * 200 MB/s) is due; {@code onRead(sample)}; {@code poll(now, free slots of 16)}. The trial starts in the middle of
 * epoch 1, the first warm one (epoch 0 fetches everything; from epoch 1 on about half the bytes are pinned hits and
 * half are fetched ahead, with evictions), reached in setup with each next epoch published at the previous one's
 * end, as a sampler that publishes one epoch ahead. Measuring moves on through the epochs: at an epoch's end the
 * next one starts (inside the measured step) and the one after it is published before the next iteration (or, if an
 * iteration runs through a whole epoch, inline, counted in {@code inlinePublishes}).
 */
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g"})
public class PlannerStepBench {
    static final int SAMPLES_PER_OBJECT = 1000;
    static final long READ_BYTES_PER_SECOND = 200_000_000L;
    static final Duration LATENCY = Duration.ofMillis(40);
    static final int MAX_IN_FLIGHT = 16;
    static final double CACHE_FRACTION = 0.5;

    /** The dataset, its config and the epoch orders; immutable. */
    record Fixture(SampleExtents dataset, long[] sampleBytes, long datasetBytes, PlannerConfig config, long seed) {

        static Fixture of(int samples, long seed) {
            SplittableRandom random = new SplittableRandom(seed);
            List<List<Extent>> extents = new ArrayList<>(samples);
            long[] sizes = new long[samples];
            long total = 0;
            String object = ""; // named on the first pass (i = 0)
            long offset = 0;
            for (int i = 0; i < samples; i++) {
                if (i % SAMPLES_PER_OBJECT == 0) {
                    object = String.format("train/shard-%06d.tar@\"%032x\"", i / SAMPLES_PER_OBJECT, (long) i);
                    offset = 0;
                }
                long size = 75_000 + random.nextInt(50_001);
                extents.add(List.of(new Extent(object, offset + 512, size)));   // after the tar member header
                offset += 512 + ((size + 511) / 512) * 512;
                sizes[i] = size;
                total += size;
            }
            long capacity = (long) (CACHE_FRACTION * total);
            StoreModel prior = StoreModel.of(LATENCY, READ_BYTES_PER_SECOND, MAX_IN_FLIGHT);
            PlannerConfig d = PlannerConfig.of(capacity, prior, READ_BYTES_PER_SECOND);
            PlannerConfig config = new PlannerConfig(capacity, prior, READ_BYTES_PER_SECOND, d.safetyMargin(), 0,
                    d.maxRequestBytes(), d.maxWasteFraction(), d.minWindowBytes(), d.maxWindowFraction(),
                    Math.max(8, Math.min(d.readSlack(), samples / 8)));
            return new Fixture(SampleExtents.of(extents), sizes, total, config, seed);
        }

        /** Epoch {@code epoch}'s order: a Fisher-Yates shuffle seeded by (seed, epoch). */
        EpochOrder order(int epoch) {
            int n = sampleBytes.length;
            int[] o = new int[n];
            for (int i = 0; i < n; i++) {
                o[i] = i;
            }
            SplittableRandom r = new SplittableRandom(seed * 1_000_003L + epoch);
            for (int i = n - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = o[i];
                o[i] = o[j];
                o[j] = t;
            }
            return EpochOrder.of(epoch, o);
        }

        Planner newPlanner() {
            return Planners.withHints(dataset, config);
        }
    }

    /**
     * The executor's side of the seam against a simulated clock and store (one thread, like the planner thread).
     * Counts what the planner ordered, for tests and sanity.
     */
    static final class Driver {
        private record InFlight(long id, long doneNanos) {}

        final Fixture fixture;
        final Planner planner;
        private final PriorityQueue<InFlight> inFlight = new PriorityQueue<>(
                (a, b) -> Long.compare(a.doneNanos(), b.doneNanos()));
        private EpochOrder order;
        /** The latest published order (the next epoch's, once published ahead). */
        private EpochOrder ahead;
        int epoch;
        int position;
        long now = 1;
        long samplesRead;
        long bytesRead;
        long fetches;
        long demandFetches;
        long fetchedBytes;
        int publishedUpTo;
        int inlinePublishes;

        Driver(Fixture fixture) {
            this.fixture = fixture;
            this.planner = fixture.newPlanner();
            order = fixture.order(0);
            planner.publish(order);
            ahead = fixture.order(1);
            planner.publish(ahead);
            publishedUpTo = 1;
            planner.onEpochStart(0, now);
        }

        /** One sample read; returns the number of fetches the planner ordered for it. */
        int step() {
            if (position == order.size()) {
                epoch++;
                position = 0;
                if (publishedUpTo < epoch) {   // an iteration ran through a whole epoch
                    ahead = fixture.order(epoch);
                    planner.publish(ahead);
                    publishedUpTo = epoch;
                    inlinePublishes++;
                }
                order = ahead;
                planner.onEpochStart(epoch, now);
            }
            int sample = order.sampleAt(position++);
            long bytes = fixture.sampleBytes()[sample];
            now += bytes * 1_000_000_000L / READ_BYTES_PER_SECOND;
            while (!inFlight.isEmpty() && inFlight.peek().doneNanos() <= now) {
                planner.onFetchCompleted(inFlight.poll().id(), now);
            }
            int ordered = issue(planner.onRead(sample, now));
            ordered += issue(planner.poll(now, Math.max(0, MAX_IN_FLIGHT - inFlight.size())));
            samplesRead++;
            bytesRead += bytes;
            return ordered;
        }

        private int issue(List<Fetch> list) {
            for (Fetch f : list) {
                long transfer = f.length() * 1_000_000_000L / READ_BYTES_PER_SECOND;
                inFlight.add(new InFlight(f.id(), now + LATENCY.toNanos() + transfer));
                fetches++;
                fetchedBytes += f.length();
                if (f.demand()) {
                    demandFetches++;
                }
            }
            return list.size();
        }

        /** Publishes the epoch after the current one unless it already is (what a sampler does at an epoch start). */
        void publishAhead() {
            if (publishedUpTo <= epoch) {
                ahead = fixture.order(epoch + 1);
                planner.publish(ahead);
                publishedUpTo = epoch + 1;
            }
        }

        /** Runs steps until the middle of epoch {@code target} (not before the current position). */
        void advanceToMiddleOf(int target) {
            while (epoch < target || (epoch == target && position < order.size() / 2)) {
                if (position == order.size()) {
                    publishAhead();   // at the boundary, as the sampler would
                }
                step();
            }
        }
    }

    /** A fresh planner without an order, for {@link #publish}. */
    @State(Scope.Thread)
    public static class Fresh {
        @Param({"1000000"})
        public int samples;

        Fixture fixture;
        EpochOrder order;
        Planner planner;

        @Setup(Level.Trial)
        public void setUp() {
            fixture = Fixture.of(samples, 42);
            order = fixture.order(0);
        }

        @Setup(Level.Invocation)
        public void newPlanner() {
            planner = fixture.newPlanner();
        }
    }

    /** A planner in the middle of a hinted warm epoch (epoch 1), for {@link #step}. */
    @State(Scope.Thread)
    public static class MidEpoch {
        @Param({"1000000"})
        public int samples;

        Driver driver;

        @Setup(Level.Trial)
        public void setUp() {
            driver = new Driver(Fixture.of(samples, 42));
            driver.advanceToMiddleOf(1);
        }

        @Setup(Level.Iteration)
        public void publishAhead() {
            driver.publishAhead();
        }
    }

    /** Interning a 1M-sample dataset: once per dataset registration. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 2)
    @Measurement(iterations = 5)
    public Planner build(Fresh s) {
        return s.fixture.newPlanner();
    }

    /** Publishing an epoch's 1M-sample order to a planner that has none. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 2)
    @Measurement(iterations = 5)
    public Planner publish(Fresh s) {
        s.planner.publish(s.order);
        return s.planner;
    }

    /** One sample read in the middle of the epoch: due completions, onRead, poll. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @Warmup(iterations = 2, time = 1)
    @Measurement(iterations = 5, time = 1)
    public int step(MidEpoch s) {
        return s.driver.step();
    }
}
