package io.prefetchd.benchmarks.scale;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.formats.DatasetIndex;
import io.prefetchd.formats.IndexStore;
import io.prefetchd.gateway.cache.DiskExtentCache;
import io.prefetchd.gateway.prefetch.PrefetchExecutor;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import io.prefetchd.planner.EpochOrder;
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
import java.util.ArrayList;
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
 * <p>Rerun: {@code benchmarks/run-scale --only hinted} (FULL: 100 M WebDataset samples and 10 M files, ~4 GiB of disk;
 * {@code --size quick}: 1 M of each).
 */
final class HintedSection implements ScaleSection {
    private static final int GRAIN = 128 * 1024;
    private static final int READS = 20_000;

    @Override
    public String name() {
        return "hinted";
    }

    @Override
    public List<ScaleFigure> run(ScaleSize size, Path work, PrintStream progress) throws Exception {
        boolean full = size == ScaleSize.FULL;
        List<ScaleFigure> out = new ArrayList<>();
        out.addAll(measure("hinted.webdataset", new SyntheticWebDataset(full ? 100_000_000L : 1_000_000L), full,
                work, progress));
        out.addAll(measure("hinted.files", new SyntheticFiles(full ? 10_000_000L : 1_000_000L), full, work,
                progress));
        return out;
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
                                    + note));
        }
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
