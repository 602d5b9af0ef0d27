package io.prefetchd.benchmarks.scale;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.formats.DatasetIndex;
import io.prefetchd.formats.IndexStore;
import io.prefetchd.formats.ObjectRef;
import io.prefetchd.formats.SampleLocator;
import io.prefetchd.gateway.cache.DiskExtentCache;
import io.prefetchd.gateway.prefetch.PrefetchExecutor;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import io.prefetchd.planner.EpochOrder;
import io.prefetchd.planner.Extent;
import io.prefetchd.planner.Fetch;
import io.prefetchd.planner.Planner;
import io.prefetchd.planner.PlannerConfig;
import io.prefetchd.planner.Planners;
import io.prefetchd.planner.StoreModel;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * What the gateway's whole hinted path costs per sample. Question: with a dataset's index mapped, how many bytes of
 * heap do the gateway's block layout (the planner's view of the samples in cache blocks), the sample bounds it gives
 * the disk cache ({@link PrefetchExecutor#cutAtSamples}), the planner and the published shuffled order retain
 * together, and how long does that first plan take?
 *
 * <p>As {@link PlanSection}, but planned through the gateway's block view ({@link PrefetchExecutor#blockView}, 128 KiB
 * grain) instead of the raw index, with the cuts given to an open {@link DiskExtentCache}, for a WebDataset-shaped
 * dataset ({@link SyntheticWebDataset}, 100 KB samples) and a file-per-sample one ({@link SyntheticFiles}). The cache
 * is opened before the measurement, so only what the cuts add to it is counted.
 *
 * <p>Rerun: {@code benchmarks/run-scale --only hinted} (FULL: 100 M WebDataset samples and 100 M files, ~11 GiB of disk;
 * {@code --size quick}: 1 M of each); {@code --only hinted.files} or {@code --only hinted.webdataset} runs one.
 */
final class HintedSection implements ScaleSection {
    private static final int GRAIN = 128 * 1024;
    private static final int READS = 20_000;
    private static final int LOOKUPS = 200_000;

    private final String name;
    private final boolean files;

    private HintedSection(String name, boolean files) {
        this.name = name;
        this.files = files;
    }

    /** The WebDataset-shaped dataset: 100 M samples (FULL), 1 M (QUICK). */
    static HintedSection webDataset() {
        return new HintedSection("hinted.webdataset", false);
    }

    /** The file-per-sample dataset: 100 M files (FULL), 1 M (QUICK). */
    static HintedSection files() {
        return new HintedSection("hinted.files", true);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<ScaleFigure> run(ScaleSize size, Path work, PrintStream progress) throws Exception {
        boolean full = size == ScaleSize.FULL;
        DatasetIndex synthetic = files ? new SyntheticFiles(full ? 100_000_000L : 1_000_000L)
                : new SyntheticWebDataset(full ? 100_000_000L : 1_000_000L);
        return measure(name, synthetic, full, work, progress);
    }

    private static List<ScaleFigure> measure(String name, DatasetIndex synthetic, boolean full, Path work,
            PrintStream progress) throws Exception {
        long samples = synthetic.sampleCount();
        String note = String.format(Locale.ROOT, " (%,d samples%s)", samples, full ? "" : ", QUICK");
        Path file = work.resolve(name + ".pfidx");
        long t0 = System.nanoTime();
        IndexStore.write(synthetic, file);
        progress.printf(Locale.ROOT, "  %s: wrote a %,d-sample index in %.1f s%n", name, samples,
                (System.nanoTime() - t0) / 1e9);
        DatasetIndex index = IndexStore.read(file);
        PlannerConfig config = PlannerConfig.of(index.totalBytes() / 10,
                StoreModel.of(Duration.ofMillis(40), 1_000_000_000L, 64), 2_000_000_000L);
        long[] planNanos = new long[1];
        long[] lookupNanos = new long[2];
        try (DiskExtentCache cache = DiskExtentCache.open(Files.createDirectories(work.resolve(name + "-cache")),
                1L << 40, GRAIN, new InMemoryObjectStore("data"), new SimpleMeterRegistry(), Clock.systemUTC())) {
            HeapMeter.Retained<Object> retained = HeapMeter.measure(() -> {
                int[] order = shuffled((int) samples, new SplittableRandom(42));
                long start = System.nanoTime();
                PrefetchExecutor.cutAtSamples(cache, index);
                Planner planner = Planners.withHints(PrefetchExecutor.blockView(index, GRAIN), config);
                EpochOrder epoch = EpochOrder.of(0, order);
                planner.publish(epoch);
                List<Fetch> first = planner.poll(0, 64);
                planNanos[0] = System.nanoTime() - start;
                if (first.isEmpty()) {
                    throw new IllegalStateException("the first plan fetched nothing");
                }
                complete(planner, first);
                readAhead(planner, epoch);
                lookupNanos[0] = readLookupNanos(index, order);
                lookupNanos[1] = evictedLookupNanos(index, planner, first, order);
                return List.of(planner, epoch);
            });
            double perSample = (double) retained.bytes() / samples;
            progress.printf(Locale.ROOT, "  %s: planned in %.2f s, %,d heap bytes retained, %.2f a sample%n", name,
                    planNanos[0] / 1e9, retained.bytes(), perSample);
            Files.delete(file);
            return List.of(
                    new ScaleFigure(name + ".heap_bytes_per_sample", perSample, "bytes", String.format(Locale.ROOT,
                            "block layout + cache cuts + planner + order over a mapped index, %,d bytes%s",
                            retained.bytes(), note)),
                    new ScaleFigure(name + ".first_plan_seconds", planNanos[0] / 1e9, "seconds",
                            "cut the cache at samples, build the planner on the block view, publish, first poll"
                                    + note),
                    new ScaleFigure(name + ".read_lookup_ns", lookupNanos[0], "ns", String.format(Locale.ROOT,
                            "READ (key, ETag, offset) to sample, mean of %,d in a shuffled order after as many"
                                    + " warm-up%s", LOOKUPS, note)),
                    new ScaleFigure(name + ".evicted_lookup_ns", lookupNanos[1], "ns", String.format(Locale.ROOT,
                            "the planner's object name to extent id (an eviction of a block it does not hold),"
                                    + " mean of %,d%s", LOOKUPS, note)));
        }
    }

    /**
     * Nanoseconds per READ-path look-up: an object's key and ETag and an offset to the sample holding the byte
     * ({@link SampleLocator}, what the gateway does on every READ), for samples of the shuffled order. The keys are
     * read from the index before the clock starts; as many look-ups as are timed warm up first.
     */
    private static long readLookupNanos(DatasetIndex index, int[] order) {
        SampleLocator locator = SampleLocator.of(index);
        List<ObjectRef> objects = index.objects();
        int n = Math.min(LOOKUPS, order.length);
        String[] keys = new String[n];
        String[] etags = new String[n];
        long[] offsets = new long[n];
        for (int i = 0; i < n; i++) {
            long[] at = firstExtent(index, order[i]);
            ObjectRef ref = objects.get((int) at[0]);
            keys[i] = ref.key();
            etags[i] = ref.etag();
            offsets[i] = at[1];
        }
        long sink = 0;
        long start = 0;
        for (int i = 0; i < 2 * LOOKUPS; i++) {
            if (i == LOOKUPS) {
                start = System.nanoTime();
            }
            int k = i % n;
            sink += locator.sampleAt(keys[k], etags[k], offsets[k]) < 0 ? 1 : 0;
        }
        long nanos = (System.nanoTime() - start) / LOOKUPS;
        if (sink != 0) {
            throw new IllegalStateException("a READ of a sample's first byte found no sample");
        }
        return nanos;
    }

    /**
     * Nanoseconds per planner look-up of an object by name: an eviction of a block the planner does not hold (one
     * byte long, so no extent matches) finds the object, searches its extents and returns. The names are built as
     * the gateway names object versions (key and ETag) and checked against the first fetch's, so that a change of
     * that form fails here instead of timing misses.
     */
    private static long evictedLookupNanos(DatasetIndex index, Planner planner, List<Fetch> first, int[] order) {
        List<ObjectRef> objects = index.objects();
        int n = Math.min(LOOKUPS, order.length);
        Extent[] victims = new Extent[n];
        for (int i = 0; i < n; i++) {
            long[] at = firstExtent(index, order[order.length - 1 - i]);
            victims[i] = new Extent(plannerName(objects.get((int) at[0])), at[1], 1);
        }
        Fetch f = first.get(0);
        long[] at = firstExtent(index, order[0]);
        if (!f.object().equals(plannerName(objects.get((int) at[0])))) {
            throw new IllegalStateException("the planner names objects unlike this benchmark: " + f.object());
        }
        long start = 0;
        for (int i = 0; i < 2 * LOOKUPS; i++) {
            if (i == LOOKUPS) {
                start = System.nanoTime();
            }
            planner.onEvicted(victims[i % n]);
        }
        return (System.nanoTime() - start) / LOOKUPS;
    }

    private static String plannerName(ObjectRef ref) {
        return ref.key() + "@\"" + ref.etag() + "\"";
    }

    /** The object and offset of sample {@code s}'s first extent. */
    private static long[] firstExtent(DatasetIndex index, int s) {
        long[] at = {-1, 0};
        index.forEachExtent(s, (object, offset, length) -> {
            if (at[0] < 0) {
                at[0] = object;
                at[1] = offset;
            }
        });
        return at;
    }

    private static int[] shuffled(int n, SplittableRandom random) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }

    private static void complete(Planner planner, List<Fetch> fetches) {
        for (Fetch f : fetches) {
            planner.onFetchCompleted(f.id(), 0);
        }
    }

    private static void readAhead(Planner planner, EpochOrder order) {
        long now = 0;
        for (int p = 0; p < Math.min(READS, order.size()); p++) {
            now += 50_000;
            complete(planner, planner.onRead(order.sampleAt(p), now));
            complete(planner, planner.poll(now, 64));
        }
    }
}
