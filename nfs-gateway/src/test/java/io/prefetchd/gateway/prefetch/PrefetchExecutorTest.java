package io.prefetchd.gateway.prefetch;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.formats.DatasetIndex;
import io.prefetchd.formats.DatasetIndexer;
import io.prefetchd.formats.DatasetSpec;
import io.prefetchd.formats.FileLayout;
import io.prefetchd.gateway.cache.DiskExtentCache;
import io.prefetchd.gateway.cache.ExtentCache;
import io.prefetchd.gateway.cache.ObjectVersion;
import io.prefetchd.gateway.index.ObjectStoreRangeSource;
import io.prefetchd.gateway.reports.ReportStore;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import io.prefetchd.gateway.s3.ObjectStoreException;
import io.prefetchd.gateway.testing.Await;
import io.prefetchd.planner.EpochOrder;
import io.prefetchd.planner.HintSink;
import io.prefetchd.planner.Planner;
import io.prefetchd.planner.report.EpochEnd;
import io.prefetchd.planner.report.EpochReport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The executor against the real disk cache and an in-memory S3: a file-per-sample dataset indexed by
 * dataset-formats, read sample by sample the way the NFS READ path does (beforeRead, cache read, afterRead).
 * Between reads the test waits for the executor to be idle, so "a read waited on S3" means the planner had not
 * fetched it, never that a prefetch was merely slow.
 */
class PrefetchExecutorTest {
    private static final int GRAIN = 16 * 1024;
    private static final int SAMPLES = 240;

    @TempDir
    Path dir;

    private InMemoryObjectStore store;
    private DiskExtentCache cache;
    private PrefetchExecutor executor;
    private DatasetIndex index;
    private long datasetBytes;
    private final List<Sample> samples = new ArrayList<>();

    /** Sample {@code i}: its bytes at {@code offset} of {@code object}. */
    private record Sample(ObjectVersion object, long offset, byte[] bytes) {
    }

    @BeforeEach
    void setUp() throws Exception {
        store = new InMemoryObjectStore("b");
        Random random = new Random(7);
        for (int i = 0; i < SAMPLES; i++) {
            byte[] data = new byte[20_000 + random.nextInt(30_000)];
            random.nextBytes(data);
            String key = String.format("train/s%05d.bin", i);
            samples.add(new Sample(new ObjectVersion(key, store.put(key, data), data.length), 0, data));
            datasetBytes += data.length;
        }
        index = DatasetIndexer.create(new ObjectStoreRangeSource(store), ForkJoinPool.commonPool(), 2,
                Clock.systemUTC()).build(DatasetSpec.files("train", FileLayout.SORTED)).index();
        assertEquals(SAMPLES, index.sampleCount());
    }

    @AfterEach
    void tearDown() {
        if (executor != null) {
            executor.close();
        }
        if (cache != null) {
            cache.close();
        }
        store.close();
    }

    /**
     * Replaces the file-per-sample dataset with the same kind of samples as members of 4 tar shards
     * (WebDataset), so that neighbouring samples share grains.
     */
    private void useWebDataset() throws Exception {
        samples.clear();
        datasetBytes = 0;
        Random random = new Random(8);
        int perShard = SAMPLES / 4;
        for (int shard = 0; shard < 4; shard++) {
            java.io.ByteArrayOutputStream tar = new java.io.ByteArrayOutputStream();
            List<long[]> at = new ArrayList<>();
            List<byte[]> members = new ArrayList<>();
            for (int i = 0; i < perShard; i++) {
                byte[] data = new byte[20_000 + random.nextInt(30_000)];
                random.nextBytes(data);
                tar.write(ustarHeader(String.format("%05d.bin", shard * perShard + i), data.length));
                at.add(new long[] {tar.size()});
                tar.write(data);
                tar.write(new byte[(512 - data.length % 512) % 512]);
                members.add(data);
            }
            tar.write(new byte[1024]);
            String key = String.format("wds/shard-%d.tar", shard);
            byte[] bytes = tar.toByteArray();
            ObjectVersion object = new ObjectVersion(key, store.put(key, bytes), bytes.length);
            for (int i = 0; i < perShard; i++) {
                samples.add(new Sample(object, at.get(i)[0], members.get(i)));
            }
        }
        index = DatasetIndexer.create(new ObjectStoreRangeSource(store), ForkJoinPool.commonPool(), 2,
                Clock.systemUTC()).build(DatasetSpec.webDataset("wds")).index();
        assertEquals(SAMPLES, index.sampleCount());
        for (int i = 0; i < SAMPLES; i++) { // samples in shard order, as written; a sample's extent has its header
            assertEquals(samples.get(i).offset() - 512, index.extents(i).get(0).offset());
        }
        datasetBytes = index.totalBytes();
    }

    /** A POSIX ustar header for a regular file. */
    private static byte[] ustarHeader(String name, long size) {
        byte[] h = new byte[512];
        put(h, 0, name);
        put(h, 100, "0000644");
        put(h, 108, "0000000");
        put(h, 116, "0000000");
        put(h, 124, String.format("%011o", size));
        put(h, 136, "00000000000");
        java.util.Arrays.fill(h, 148, 156, (byte) ' ');
        h[156] = '0';
        put(h, 257, "ustar");
        put(h, 263, "00");
        int sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, String.format("%06o", sum));
        h[155] = ' ';
        return h;
    }

    private static void put(byte[] header, int at, String ascii) {
        byte[] bytes = ascii.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        System.arraycopy(bytes, 0, header, at, bytes.length);
    }

    private void open(double cacheFraction) {
        open(cacheFraction, System::nanoTime, PrefetchSettings.defaults().idleGap());
    }

    private void open(double cacheFraction, java.util.function.LongSupplier clock, Duration idleGap) {
        open(cacheFraction, clock, idleGap, PrefetchExecutor.PlannerFactory.LEARNED);
    }

    private void open(double cacheFraction, java.util.function.LongSupplier clock, Duration idleGap,
                      PrefetchExecutor.PlannerFactory planners) {
        // size the cache on the samples' block files: data plus a header per block
        long blockBytes = 0;
        for (Sample sample : samples) {
            blockBytes += sample.bytes().length + (sample.bytes().length / GRAIN + 2) * 200L;
        }
        cache = DiskExtentCache.open(dir.resolve("cache"), (long) (blockBytes * cacheFraction), GRAIN, store,
                new SimpleMeterRegistry(), Clock.systemUTC());
        PrefetchSettings d = PrefetchSettings.defaults();
        executor = PrefetchExecutor.start(cache, new PrefetchSettings(0.9, 8, 64L << 20, Duration.ofMillis(40),
                d.storeBytesPerSecond(), d.readBytesPerSecond(), Duration.ofMillis(20), idleGap,
                Duration.ofMillis(200), d.jobGrace()), new SimpleMeterRegistry(), clock, planners);
        executor.addDataset("ds-1", index);
        idle();
    }

    /**
     * A clock 100 times slower than real time, so that the job grace cannot pass while a test checks that it holds,
     * which jumps when the test moves {@code ahead} on.
     */
    private static java.util.function.LongSupplier slowClock(java.util.concurrent.atomic.AtomicLong ahead) {
        long t0 = System.nanoTime();
        return () -> t0 + (System.nanoTime() - t0) / 100 + ahead.get();
    }

    private void idle() {
        try {
            executor.whenIdle().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("executor did not become idle", e);
        }
    }

    private record EpochResult(int waited, long getBytes, long gets) {
    }

    /** Reads the samples in {@code order} as the NFS path does; checks every byte. GETs count from the last reset. */
    private EpochResult readEpoch(int[] order) {
        int waited = 0;
        for (int s : order) {
            Sample sample = samples.get(s);
            ObjectVersion o = sample.object();
            executor.beforeRead(o.key(), o.etag(), sample.offset());
            ExtentCache.CachedRead r = cache.readTracked(o, sample.offset(), sample.bytes().length);
            executor.afterRead(o.key(), o.etag(), sample.offset(), r.data().length,
                    r.missedBlocks() > 0 ? Math.max(1, r.waitNanos()) : 0);
            assertArrayEquals(sample.bytes(), r.data(), "sample " + s);
            if (r.missedBlocks() > 0) {
                waited++;
            }
            idle();
            assertTrue(cache.stats().usedBytes() <= cache.stats().capacityBytes());
        }
        return new EpochResult(waited, store.getBytes(), store.getCount());
    }

    private static int[] permutation(long seed) {
        int[] p = new int[SAMPLES];
        for (int i = 0; i < SAMPLES; i++) {
            p[i] = i;
        }
        Random r = new Random(seed);
        for (int i = SAMPLES - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** Publishes an epoch's order (its GETs count from here) and waits for the first prefetches. */
    private void publish(int epoch, int[] order) {
        store.resetCounters();
        executor.accept(new HintSink.PublishedOrder("ds-1", "job", 0, 1, EpochOrder.of(epoch, order)));
        idle();
    }

    private double plannedFraction() {
        PrefetchExecutor.DatasetStatus s = executor.status().get(0);
        return (double) s.plannerCapacityBytes() / s.datasetBytes();
    }

    @Test
    void hintedEpochs_areReadWithoutWaiting_andFetchAboutTheMissFractionFromS3() {
        open(0.5);
        hintedEpochsFetchTheMissFraction();
    }

    /**
     * Tar members share grains with their neighbours; blocks cut at member bounds keep a sample's fetch to its own
     * bytes (with grain-aligned blocks alone, an epoch fetched about 1.5 x (1-c)D here).
     */
    @Test
    void hintedEpochsOfAWebDataset_fetchOnlyTheSamplesBytes() throws Exception {
        useWebDataset();
        open(0.5);
        hintedEpochsFetchTheMissFraction();
    }

    private void hintedEpochsFetchTheMissFraction() {
        double c = plannedFraction();
        for (int epoch = 0; epoch < 3; epoch++) {
            int[] order = permutation(epoch);
            publish(epoch, order);
            EpochResult r = readEpoch(order);
            assertEquals(0, r.waited(), "epoch " + epoch + ": every sample was fetched before its read");
            if (epoch == 0) {
                assertTrue(r.getBytes() <= datasetBytes * 1.01, "epoch 0 fetches the dataset once: " + r);
            } else {
                // the pinned set is the cache less the lookahead window, so an epoch fetches (1-c)D plus at most
                // one window; the window is at least 1 MiB, a quarter of this tiny cache (on real sizes ~1%)
                double bound = (1 - c) * datasetBytes;
                double window = 0.25 * c * datasetBytes;
                System.out.printf("epoch %d: S3 bytes %d = %.3f x (1-c)D (c=%.3f, window <= %.0f), %d GETs%n",
                        epoch, r.getBytes(), r.getBytes() / bound, c, window, r.gets());
                assertTrue(r.getBytes() >= bound * 0.99, "no policy fetches less than (1-c)D: " + r.getBytes());
                assertTrue(r.getBytes() <= bound + window * 1.05, "epoch " + epoch + " S3 bytes " + r.getBytes()
                        + " vs (1-c)D " + (long) bound + " + window " + (long) window);
            }
            assertEquals(epoch, executor.status().get(0).epoch());
        }
    }

    @Test
    void eachEndedEpoch_hasAReport_withItsWaitsAndGets() {
        open(0.5);
        ReportStore reports = new ReportStore(dir.resolve("reports"), 50, 100, Runnable::run, Clock.systemUTC(),
                new SimpleMeterRegistry());
        executor.reportTo(reports);
        List<EpochResult> measured = new ArrayList<>();
        for (int epoch = 0; epoch < 3; epoch++) {
            publish(epoch, permutation(20 + epoch));
            measured.add(readEpoch(permutation(20 + epoch)));
        }
        System.out.println("measured " + measured);
        executor.endEpoch("ds-1", "job", 2);
        idle();
        List<EpochReport> done = reports.reports("ds-1", "job").stream().filter(EpochReport::complete).toList();
        assertEquals(List.of(0, 1, 2), done.stream().map(EpochReport::epoch).sorted().toList());
        for (EpochReport r : done) {
            assertTrue(r.hinted());
            assertEquals(SAMPLES, r.samplesRead(), "epoch " + r.epoch());
            assertEquals(1.0, r.noWaitShare(), 1e-9, "epoch " + r.epoch());
            assertEquals(SAMPLES, r.plannedSamples());
            System.out.println("report " + r.epoch() + ": s3 " + r.s3Bytes() + " gets " + r.s3Gets() + " bound "
                    + r.boundBytes());
            assertEquals(measured.get(r.epoch()).getBytes(), r.s3Bytes(), "the report counts the epoch's GETs");
            assertEquals(0, r.prefetchedUnusedBytes(), "an order kept: every prefetched block was read");
            if (r.epoch() > 0) {
                assertTrue(r.counterfactual() != null, "LRU and OPT simulated: " + r.counterfactualNote());
            }
        }
        reports.close();
    }

    private ReportStore reportStore() {
        ReportStore reports = new ReportStore(dir.resolve("reports"), 50, 100, Runnable::run, Clock.systemUTC(),
                new SimpleMeterRegistry());
        executor.reportTo(reports);
        return reports;
    }

    private static List<EpochReport> completed(ReportStore reports) {
        return reports.reports("ds-1", null).stream().filter(EpochReport::complete).toList();
    }

    @Test
    void hintedEpochs_endedByTheJob_areEndEpochReports_andTheOnesBeforeEndByTheNext() {
        open(0.5);
        ReportStore reports = reportStore();
        for (int epoch = 0; epoch < 2; epoch++) {
            publish(epoch, permutation(30 + epoch));
            readEpoch(permutation(30 + epoch));
        }
        executor.endEpoch("ds-1", "job", 1);
        idle();
        assertEquals(List.of(EpochEnd.NEXT_EPOCH, EpochEnd.END_EPOCH),
                completed(reports).stream().map(EpochReport::ended).toList());
        reports.close();
    }

    /** The client's page cache served most of epoch 1: the gateway saw 10 of its reads, and still 3 reports. */
    @Test
    void hintedEpochMostlyServedByThePageCache_endedByTheJob_stillGivesItsReport_andTheNextStarts() {
        open(0.5);
        ReportStore reports = reportStore();
        publish(0, permutation(40));
        readEpoch(permutation(40));
        executor.endEpoch("ds-1", "job", 0);
        publish(1, permutation(41));
        readEpoch(java.util.Arrays.copyOf(permutation(41), 10));
        executor.endEpoch("ds-1", "job", 1);
        publish(2, permutation(42));
        readEpoch(permutation(42));
        executor.endEpoch("ds-1", "job", 2);
        idle();
        List<EpochReport> done = completed(reports);
        assertEquals(List.of(0, 1, 2), done.stream().map(EpochReport::epoch).toList());
        assertEquals(List.of((long) SAMPLES, 10L, (long) SAMPLES), done.stream().map(EpochReport::samplesRead)
                .toList());
        assertTrue(done.stream().allMatch(r -> r.ended() == EpochEnd.END_EPOCH), done.toString());
        reports.close();
    }

    @Test
    void unhintedEpoch_silentPastTheIdleGap_endsAsIdle_andTheNextReadStartsTheNextEpoch() {
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1_000);
        open(0.5, () -> now.addAndGet(1_000), Duration.ofSeconds(30)); // a manual clock: 1 µs a look
        ReportStore reports = reportStore();
        int[] half = java.util.Arrays.copyOf(permutation(50), SAMPLES / 2);
        readEpoch(half);
        now.addAndGet(Duration.ofSeconds(20).toNanos());
        idle();
        assertEquals(List.of(), completed(reports), "silent for less than the gap: not over");
        now.addAndGet(Duration.ofSeconds(20).toNanos());
        idle();
        List<EpochReport> done = completed(reports);
        assertEquals(1, done.size(), done.toString());
        assertEquals(EpochEnd.IDLE, done.get(0).ended());
        assertEquals(SAMPLES / 2, done.get(0).samplesRead());
        assertTrue(done.get(0).durationSeconds() < 1, "ends at its last read, not when the gap ran out");

        readEpoch(half);
        idle();
        assertEquals(1, executor.status().get(0).epoch(), "the next read after the gap is the next epoch's");
        assertEquals(1, completed(reports).size(), "epoch 0 is reported once");
        reports.close();
    }

    @Test
    void close_endsTheRunningEpochAsShutdown_withTheReadsItHad() {
        open(0.5);
        ReportStore reports = reportStore();
        readEpoch(permutation(60));
        readEpoch(java.util.Arrays.copyOf(permutation(61), 100)); // wraps around: epoch 1, then the gateway stops
        executor.close();
        List<EpochReport> done = completed(reports);
        assertEquals(List.of(0, 1), done.stream().map(EpochReport::epoch).toList());
        assertEquals(EpochEnd.NEXT_EPOCH, done.get(0).ended());
        assertEquals(EpochEnd.SHUTDOWN, done.get(1).ended());
        assertEquals(100, done.get(1).samplesRead());
        assertTrue(done.get(1).counterfactual() != null, "simulated: " + done.get(1).counterfactualNote());
        reports.close();
    }

    /** A second file-per-sample dataset of {@code n} samples like the first one's, under {@code other/}. */
    private DatasetIndex otherDataset(int n) throws Exception {
        Random random = new Random(9);
        for (int i = 0; i < n; i++) {
            byte[] data = new byte[20_000 + random.nextInt(30_000)];
            random.nextBytes(data);
            store.put(String.format("other/s%05d.bin", i), data);
        }
        return DatasetIndexer.create(new ObjectStoreRangeSource(store), ForkJoinPool.commonPool(), 2,
                Clock.systemUTC()).build(DatasetSpec.files("other", FileLayout.SORTED)).index();
    }

    /**
     * ds-1 on a cache of {@code cacheFraction} of its blocks with a slow clock ({@code ahead}), beside ds-2 of
     * {@code n} samples; ds-1's job read its epoch 0 and ended it.
     */
    private void besideAnotherDataset_afterAnEndedEpoch(double cacheFraction,
            java.util.concurrent.atomic.AtomicLong ahead, int n) throws Exception {
        open(cacheFraction, slowClock(ahead), PrefetchSettings.defaults().idleGap());
        executor.addDataset("ds-2", otherDataset(n)).get(30, TimeUnit.SECONDS);
        idle();
        publish(0, permutation(1));
        readEpoch(permutation(1));
        executor.endEpoch("ds-1", "job", 0);
        idle();
    }

    /** Reads ds-2's samples in {@code order} as the NFS path does; returns how many waited on S3. */
    private int readOther(int[] order) {
        int waited = 0;
        for (int s : order) {
            var meta = store.head(String.format("other/s%05d.bin", s)).orElseThrow();
            ObjectVersion o = new ObjectVersion(meta.key(), meta.etag(), meta.size());
            executor.beforeRead(o.key(), o.etag(), 0);
            ExtentCache.CachedRead r = cache.readTracked(o, 0, (int) o.size());
            executor.afterRead(o.key(), o.etag(), 0, r.data().length, r.missedBlocks() > 0 ? 1 : 0);
            waited += r.missedBlocks() > 0 ? 1 : 0;
            idle();
        }
        return waited;
    }

    private java.util.Map<String, PrefetchExecutor.DatasetStatus> statusById() {
        java.util.Map<String, PrefetchExecutor.DatasetStatus> out = new java.util.HashMap<>();
        for (PrefetchExecutor.DatasetStatus s : executor.status()) {
            assertEquals("", s.error(), s.datasetId());
            out.put(s.datasetId(), s);
        }
        return out;
    }

    private static long needOf(DatasetIndex index, int[] order) {
        java.util.BitSet seen = new java.util.BitSet();
        long bytes = 0;
        for (int s : order) {
            if (!seen.get(s)) {
                seen.set(s);
                bytes += index.sampleBytes(s);
            }
        }
        return bytes;
    }

    @Test
    void aDatasetAddedLater_sharesTheCacheByHintedNeeds_neverOvercommitting() throws Exception {
        java.util.concurrent.atomic.AtomicLong ahead = new java.util.concurrent.atomic.AtomicLong();
        open(0.5, slowClock(ahead), PrefetchSettings.defaults().idleGap());
        long share = statusById().get("ds-1").plannerCapacityBytes(); // alone, it plans for the whole share
        DatasetIndex other = otherDataset(SAMPLES);
        int[] firstEpoch = permutation(1);
        readEpoch(java.util.Arrays.copyOf(firstEpoch, SAMPLES / 2)); // ds-1 fills its share

        executor.addDataset("ds-2", other).get(30, TimeUnit.SECONDS);
        idle();
        var both = statusById();
        long one = both.get("ds-1").plannerCapacityBytes();
        long two = both.get("ds-2").plannerCapacityBytes();
        assertTrue(one + two <= share * 1.01, one + " + " + two + " > " + share);
        // no hints yet: each may read any of its samples, so each needs all its bytes
        assertEquals((double) index.totalBytes() / other.totalBytes(), (double) one / two, 0.05);

        // ds-1's job announces it reads a quarter of its samples from now on
        int[] quarter = java.util.Arrays.copyOf(permutation(2), SAMPLES / 4);
        executor.accept(new HintSink.PublishedOrder("ds-1", "job", 0, 1, EpochOrder.of(1, quarter)));
        readEpoch(quarter);
        var hinted = statusById();
        one = hinted.get("ds-1").plannerCapacityBytes();
        two = hinted.get("ds-2").plannerCapacityBytes();
        assertTrue(one + two <= share * 1.01, one + " + " + two + " > " + share);
        assertEquals((double) needOf(index, quarter) / other.totalBytes(), (double) one / two, 0.05);

        // the job ends the last epoch it announced: ds-1 keeps its share for the job's grace (a sampler publishes
        // the next order once the DataLoader has started its next pass)...
        executor.endEpoch("ds-1", "job", 1);
        idle();
        assertEquals(one, statusById().get("ds-1").plannerCapacityBytes(), "kept for the job's next epoch");
        // ...after which it needs nothing more, and ds-2 gets the share
        ahead.addAndGet(PrefetchSettings.defaults().jobGrace().toNanos());
        Await.await(() -> statusById().get("ds-1").plannerCapacityBytes() == 0, "ds-1's share given up");
        idle();
        var ended = statusById();
        assertEquals(0, ended.get("ds-1").plannerCapacityBytes());
        assertTrue(ended.get("ds-2").plannerCapacityBytes() >= share * 0.99, ended.toString());
        assertTrue(ended.get("ds-2").plannerCapacityBytes() <= share * 1.01, ended.toString());
    }

    @Test
    void inAFleet_plannersPlanForTheFleetsCache_andShrinkWhenAMemberLeaves() {
        open(0.25);
        long alone = statusById().get("ds-1").plannerCapacityBytes();
        java.util.concurrent.atomic.AtomicInteger members = new java.util.concurrent.atomic.AtomicInteger(3);

        executor.planWith(local -> local * members.get()); // each member owns a third of the blocks
        idle();
        assertEquals(3.0 * alone, statusById().get("ds-1").plannerCapacityBytes(), alone * 0.02,
                "a fleet of three plans for three caches");

        members.set(2);
        executor.capacityChanged();
        idle();
        assertEquals(2.0 * alone, statusById().get("ds-1").plannerCapacityBytes(), alone * 0.02,
                "a member left: re-planned down to two caches");

        executor.planWith(PlanningCapacity.LOCAL);
        idle();
        assertEquals(alone, statusById().get("ds-1").plannerCapacityBytes(), alone * 0.02, "alone again");
    }

    @Test
    void shares_followNeeds_addUpToTheUsableCache_andAreEvenWhenNothingIsNeeded() {
        var fractions = java.util.Map.of("a", 0.5, "b", 1.0, "c", 1.0);
        var shares = PrefetchExecutor.shares(1000, java.util.Map.of("a", 100L, "b", 300L, "c", 0L), fractions);
        assertEquals(125, shares.get("a"), "a quarter of the cache, half of it data");
        assertEquals(750, shares.get("b"));
        assertEquals(0, shares.get("c"));
        var none = PrefetchExecutor.shares(999, java.util.Map.of("b", 0L, "c", 0L), fractions);
        assertEquals(499, none.get("b"));
        assertEquals(499, none.get("c"));
    }

    @Test
    void plannersFillTheCacheShare_butAlwaysLeaveASmallReserve() {
        long gib = 1L << 30;
        assertEquals((long) (gib * 0.98), PrefetchExecutor.plannable(gib, 0.98));
        assertEquals(gib - PrefetchExecutor.MIN_RESERVE_BYTES, PrefetchExecutor.plannable(gib, 1.0));
        assertEquals(gib / 2, PrefetchExecutor.plannable(gib, 0.5));
        long small = 32L << 20;
        assertEquals(small - small / 10, PrefetchExecutor.plannable(small, 0.98), "a tenth of a small cache");
    }

    @Test
    void wholeDatasetInCache_secondEpochMakesNoGet() {
        open(1.2);
        publish(0, permutation(1));
        readEpoch(permutation(1));
        publish(1, permutation(2));
        EpochResult second = readEpoch(permutation(2));
        assertEquals(0, second.gets());
        assertEquals(0, second.waited());
    }

    @Test
    void jobBetweenTwoEpochs_keepsItsCachedSamples_whileAnotherDatasetIsPlanned() throws Exception {
        // the sampler ends an epoch before it publishes the next one: for that moment every epoch the job announced
        // has ended, and the dataset must not give its share (and its cached samples) to the other dataset
        open(3.0, slowClock(new java.util.concurrent.atomic.AtomicLong()), PrefetchSettings.defaults().idleGap());
        // both datasets fit their shares
        executor.addDataset("ds-2", otherDataset(SAMPLES / 4)).get(30, TimeUnit.SECONDS);
        idle();
        publish(0, permutation(1));
        readEpoch(permutation(1));
        long during = statusById().get("ds-1").plannerCapacityBytes();
        executor.endEpoch("ds-1", "job", 0);
        idle();
        assertEquals(during, statusById().get("ds-1").plannerCapacityBytes(), "between epochs: " + statusById());
        publish(1, permutation(2));
        EpochResult second = readEpoch(permutation(2));
        assertEquals(0, second.gets(), "the second epoch found every sample still cached");
        assertEquals(0, second.waited());
    }

    /**
     * A training loop that validates on another dataset between two epochs (the validation both hinted and longer
     * than the job grace), everything fitting the cache: the training set's next epoch finds every sample cached.
     */
    @Test
    void validationOnAnotherDatasetBetweenEpochs_keepsTheTrainingSetCached_whenBothFitTheCache() throws Exception {
        java.util.concurrent.atomic.AtomicLong ahead = new java.util.concurrent.atomic.AtomicLong();
        int n = SAMPLES / 4;
        besideAnotherDataset_afterAnEndedEpoch(3.0, ahead, n);

        int[] val = new int[n];
        for (int i = 0; i < n; i++) {
            val[i] = i;
        }
        executor.accept(new HintSink.PublishedOrder("ds-2", "job", 0, 1, EpochOrder.of(0, val)));
        idle();
        readOther(val);
        executor.endEpoch("ds-2", "job", 0);
        ahead.addAndGet(PrefetchSettings.defaults().jobGrace().toNanos() * 2);   // a long validation
        idle();

        publish(1, permutation(2));
        EpochResult second = readEpoch(permutation(2));
        assertEquals(0, second.gets(), "the training set stayed cached through the validation");
        assertEquals(0, second.waited());
    }

    /** Every rank of a job ends the epoch: the last EndEpoch may come long after the first, past the job grace. */
    @Test
    void lateEndEpochPastTheGrace_keepsTheJobsShare_whileEveryNeedFitsTheCache() throws Exception {
        java.util.concurrent.atomic.AtomicLong ahead = new java.util.concurrent.atomic.AtomicLong();
        besideAnotherDataset_afterAnEndedEpoch(3.0, ahead, SAMPLES / 4);
        long kept = statusById().get("ds-1").plannerCapacityBytes();
        ahead.addAndGet(PrefetchSettings.defaults().jobGrace().toNanos() * 2);
        executor.endEpoch("ds-1", "job", 0);
        idle();
        assertEquals(kept, statusById().get("ds-1").plannerCapacityBytes(), statusById().toString());
    }

    @Test
    void jobThatEndedItsEpochs_givesItsShareAtOnce_whenAJobOfAnotherDatasetPublishes() throws Exception {
        // the job is done, though the gateway cannot tell yet
        besideAnotherDataset_afterAnEndedEpoch(0.5, new java.util.concurrent.atomic.AtomicLong(), SAMPLES);
        assertTrue(statusById().get("ds-1").plannerCapacityBytes() > 0, "within its grace: " + statusById());

        executor.accept(new HintSink.PublishedOrder("ds-2", "next-job", 0, 1, EpochOrder.of(0, permutation(3))));
        Await.await(() -> statusById().get("ds-1").plannerCapacityBytes() == 0, "ds-1's share given up");
        idle();
        assertTrue(statusById().get("ds-2").plannerCapacityBytes() > 0, statusById().toString());
    }

    @Test
    void jobThatEndedItsEpochs_givesItsShareAtOnce_whenAJobWithoutHintsBeginsReadingAnotherDataset() throws Exception {
        besideAnotherDataset_afterAnEndedEpoch(0.5, new java.util.concurrent.atomic.AtomicLong(), SAMPLES);
        long kept = statusById().get("ds-1").plannerCapacityBytes();
        assertTrue(kept > 0, "within its grace: " + statusById());

        readOther(new int[] {0});   // ds-2's first read begins its first epoch
        Await.await(() -> statusById().get("ds-1").plannerCapacityBytes() == 0, "ds-1's share given up");
    }

    /**
     * ds-1's planner throws whenever it is asked for prefetches (on every tick and after every GET): ds-2, whose share
     * is too small to hold its epoch, is still prefetched ahead of its reads, and ds-1's status line says why.
     */
    @Test
    void aPlannerThatThrowsOnEveryPoll_leavesTheOtherDatasetsPrefetched() throws Exception {
        PrefetchExecutor.PlannerFactory breaksDs1 = (dataset, config, resident) -> {
            Planner real = PrefetchExecutor.PlannerFactory.LEARNED.create(dataset, config, resident);
            return dataset.sampleCount() == SAMPLES ? throwingOnPoll(real) : real;
        };
        open(0.5, System::nanoTime, PrefetchSettings.defaults().idleGap(), breaksDs1);
        int n = SAMPLES / 4;
        executor.addDataset("ds-2", otherDataset(n)).get(30, TimeUnit.SECONDS);
        idle();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = (i * 7) % n;   // 7 and 60 are coprime: a permutation
        }
        store.resetCounters();
        executor.accept(new HintSink.PublishedOrder("ds-2", "job-2", 0, 1, EpochOrder.of(0, order)));
        idle();
        assertEquals(0, readOther(order), "ds-2's epoch was prefetched ahead of its reads");
        PrefetchExecutor.DatasetStatus ds1 = executor.status().stream()
                .filter(d -> d.datasetId().equals("ds-1")).findFirst().orElseThrow();
        assertTrue(ds1.error().contains("broken planner"), ds1.toString());
    }

    private static Planner throwingOnPoll(Planner real) {
        return (Planner) java.lang.reflect.Proxy.newProxyInstance(Planner.class.getClassLoader(),
                new Class<?>[] {Planner.class}, (proxy, method, args) -> {
                    if (method.getName().equals("poll")) {
                        throw new IllegalStateException("broken planner");
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** A training script run again on the same gateway under the same job name (the default one, say). */
    @Test
    void sameJobRunAgain_startsOverAtItsFirstEpoch_prefetchedAndReported() {
        open(0.5);
        ReportStore reports = reportStore();
        for (int epoch = 0; epoch < 2; epoch++) {
            publish(epoch, permutation(40 + epoch));
            readEpoch(permutation(40 + epoch));
        }
        executor.endEpoch("ds-1", "job", 1);
        idle();

        publish(0, permutation(50));
        assertEquals(0, executor.status().get(0).epoch(), "the second run's first epoch started");
        EpochResult again = readEpoch(permutation(50));
        assertEquals(0, again.waited(), "the second run's first epoch was prefetched");
        executor.endEpoch("ds-1", "job", 0);
        idle();
        List<EpochReport> done = completed(reports);
        assertEquals(List.of(0, 0, 1), done.stream().map(EpochReport::epoch).sorted().toList(), done.toString());
        assertTrue(done.stream().allMatch(r -> r.samplesRead() == SAMPLES), done.toString());
        reports.close();
    }

    /** Reads without hints had counted epochs 0 and 1 when a job began to publish from its epoch 0. */
    @Test
    void hintedJobAfterEpochsWithoutHints_isPlannedFromItsFirstEpoch() {
        open(0.5);
        readEpoch(permutation(60));
        readEpoch(permutation(60));
        assertEquals(1, executor.status().get(0).epoch(), "the reads' second epoch");

        publish(0, permutation(61));
        assertEquals(0, executor.status().get(0).epoch());
        assertEquals(0, readEpoch(permutation(61)).waited(), "the job's first epoch was prefetched");
    }

    @Test
    void anotherJobAfterOneThatGaveUpItsShare_getsAShareForItsFirstEpoch() throws Exception {
        open(0.5, slowClock(new java.util.concurrent.atomic.AtomicLong()), PrefetchSettings.defaults().idleGap());
        executor.addDataset("ds-2", otherDataset(SAMPLES)).get(30, TimeUnit.SECONDS);
        idle();
        for (int epoch = 0; epoch < 2; epoch++) {
            publish(epoch, permutation(70 + epoch));
            readEpoch(permutation(70 + epoch));
        }
        executor.endEpoch("ds-1", "job", 1);
        executor.accept(new HintSink.PublishedOrder("ds-2", "other-job", 0, 1, EpochOrder.of(0, permutation(3))));
        Await.await(() -> statusById().get("ds-1").plannerCapacityBytes() == 0, "ds-1's share given up");

        executor.accept(new HintSink.PublishedOrder("ds-1", "job-2", 0, 1, EpochOrder.of(0, permutation(72))));
        idle();
        PrefetchExecutor.DatasetStatus ds1 = statusById().get("ds-1");
        assertEquals(0, ds1.epoch(), statusById().toString());
        assertTrue(ds1.plannerCapacityBytes() > 0, "the new job's epoch needs ds-1's samples: " + statusById());
    }

    /** A job killed mid-epoch (no EndEpoch) and restarted within that epoch publishes it again: it starts over. */
    @Test
    void jobRestartedWithinTheEpochItWasKilledIn_startsThatEpochOver() {
        open(0.5);
        publish(0, permutation(90));
        readEpoch(java.util.Arrays.copyOf(permutation(90), SAMPLES / 2));

        publish(0, permutation(91));
        assertEquals(0, executor.status().get(0).samplesReadThisEpoch(), "the epoch started over");
        assertEquals(0, readEpoch(permutation(91)).waited(), "the restarted epoch was prefetched from its start");
        assertEquals(SAMPLES, executor.status().get(0).samplesReadThisEpoch());
    }

    /** The old job's end of an epoch, arriving after another job took the dataset over, is not the new job's. */
    @Test
    void endOfAnEpochOfAReplacedJob_doesNotEndTheNewJobsEpoch() {
        open(0.5);
        ReportStore reports = reportStore();
        publish(0, permutation(93));
        executor.accept(new HintSink.PublishedOrder("ds-1", "job-b", 0, 1, EpochOrder.of(0, permutation(94))));
        executor.endEpoch("ds-1", "job", 0);
        idle();
        readEpoch(permutation(94));
        executor.endEpoch("ds-1", "job-b", 0);
        idle();
        List<EpochReport> b = reports.reports("ds-1", "job-b").stream().filter(EpochReport::complete).toList();
        assertEquals(1, b.size(), b.toString());
        assertEquals(SAMPLES, b.get(0).samplesRead(), "job-b's epoch ran until job-b ended it");
        reports.close();
    }

    /** A rank that publishes an epoch the job already ended for the first time is late, not a new run. */
    @Test
    void lateRankOfAnEndedEpoch_doesNotStartTheJobOver() {
        open(0.5);
        publish(0, permutation(80));
        readEpoch(permutation(80));
        executor.endEpoch("ds-1", "job", 0);
        publish(1, permutation(81));
        executor.accept(new HintSink.PublishedOrder("ds-1", "job", 1, 2, EpochOrder.of(0, permutation(82))));
        idle();
        assertEquals(1, executor.status().get(0).epoch());
        assertEquals(0, readEpoch(permutation(81)).waited(), "epoch 1 still planned");
    }

    @Test
    void republishedEpoch_isReadWithoutWaitingInItsNewOrder() {
        open(0.5);
        ReportStore reports = new ReportStore(dir.resolve("reports"), 50, 100, Runnable::run, Clock.systemUTC(),
                new SimpleMeterRegistry());
        executor.reportTo(reports);
        publish(0, permutation(10));
        readEpoch(permutation(10));
        publish(1, permutation(11));
        publish(1, permutation(12)); // the job changed its mind: replaces the order of epoch 1
        EpochResult r = readEpoch(permutation(12));
        assertEquals(0, r.waited());
        executor.endEpoch("ds-1", "job", 1);
        idle();
        EpochReport report = reports.reports("ds-1", "job").stream().filter(e -> e.epoch() == 1).findFirst()
                .orElseThrow();
        // the window filled for the first order and was dropped for the second before its blocks were read
        assertTrue(report.prefetchedUnusedBytes() > 0, "prefetched unused " + report.prefetchedUnusedBytes());
        assertTrue(report.prefetchedUnusedBytes() <= r.getBytes() - (1 - plannedFraction()) * datasetBytes * 0.99,
                "no more unused than the epoch fetched beyond (1-c)D: " + report.prefetchedUnusedBytes());
        reports.close();
    }

    @Test
    void withoutHints_aRepeatedOrderIsLearnedAndPrefetched() {
        open(0.5);
        int[] order = permutation(3);
        EpochResult first = readEpoch(order);
        assertTrue(first.waited() > SAMPLES / 2, "nothing known yet: most reads wait: " + first);
        EpochResult second = readEpoch(order);
        System.out.printf("learned: epoch 1 waited %d of %d%n", second.waited(), SAMPLES);
        assertTrue(second.waited() < SAMPLES / 4, "the repeated order is replayed: " + second);
    }

    @Test
    void failedPrefetches_areRetried_andReadsNeverFail() {
        open(0.5);
        int[] order = permutation(5);
        store.failNextGets(6, ObjectStoreException.Kind.UNAVAILABLE);
        publish(0, order);
        readEpoch(order); // checks every byte: reads never fail, they wait while prefetching backs off
        publish(1, permutation(6));
        assertEquals(0, readEpoch(permutation(6)).waited(), "prefetching recovered");
    }

    @Test
    void readsOfObjectsOutsideDatasets_areIgnored() {
        open(0.5);
        String other = "elsewhere/x.bin";
        ObjectVersion o = new ObjectVersion(other, store.put(other, new byte[5000]), 5000);
        executor.beforeRead(o.key(), o.etag(), 0);
        cache.read(o, 0, 5000);
        idle();
        assertEquals(-1, executor.status().get(0).epoch(), "no read of the dataset yet");
    }
}
