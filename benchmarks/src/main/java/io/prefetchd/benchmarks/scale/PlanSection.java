package io.prefetchd.benchmarks.scale;

import io.prefetchd.formats.DatasetIndex;
import io.prefetchd.formats.IndexStore;
import io.prefetchd.planner.EpochOrder;
import io.prefetchd.planner.Fetch;
import io.prefetchd.planner.Planner;
import io.prefetchd.planner.PlannerConfig;
import io.prefetchd.planner.Planners;
import io.prefetchd.planner.SampleExtents;
import io.prefetchd.planner.StoreModel;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * What planning a hinted dataset costs a node. Question: how many bytes of heap per sample does a planner hold for a
 * 100 M-sample dataset whose job published a shuffled epoch, everything included (the published order, the planner's
 * tables, its cache ledger and known future), and how long does the first plan take (build the planner, take the
 * order, hand out the first prefetches)?
 *
 * <p>The dataset is WebDataset-shaped ({@link SyntheticWebDataset}: 10,000 samples of 100 KB a shard, 10,000 shards
 * at 100 M samples), written as an index file and opened mapped, as the gateway opens it, then planned through
 * {@link SampleExtents#of(DatasetIndex)} with a cache of a tenth of the dataset. After the first plan the reader
 * reads the first {@value #READS} samples of the order (each fetch completes at once), so the ledger holds a pinned
 * set and a window, not only an empty cache. The heap is measured with {@link HeapMeter} while the planner and the
 * order are reachable; the mapped index itself costs next to nothing (see the index section).
 *
 * <p>Rerun: {@code benchmarks/run-scale --only plan} (FULL: 100 M samples, ~4 GiB of disk for the index file, a
 * 4 GiB heap; {@code --size quick}: 1 M samples).
 */
final class PlanSection implements ScaleSection {
    private static final int READS = 20_000;

    @Override
    public String name() {
        return "plan";
    }

    @Override
    public List<ScaleFigure> run(ScaleSize size, Path work, PrintStream progress) throws Exception {
        long samples = size == ScaleSize.FULL ? 100_000_000L : 1_000_000L;
        String note = size == ScaleSize.FULL ? "" : " (QUICK: " + samples + " samples)";
        Path file = work.resolve("plan-" + samples + ".pfidx");
        long t0 = System.nanoTime();
        IndexStore.write(new SyntheticWebDataset(samples), file);
        progress.printf(Locale.ROOT, "  wrote a %,d-sample index in %.1f s%n", samples, (System.nanoTime() - t0) / 1e9);
        DatasetIndex index = IndexStore.read(file);
        long capacity = index.totalBytes() / 10;
        PlannerConfig config = PlannerConfig.of(capacity, StoreModel.of(Duration.ofMillis(40), 1_000_000_000L, 64),
                2_000_000_000L);

        long[] firstPlanNanos = new long[1];
        int[] firstFetches = new int[1];
        HeapMeter.Retained<Planned> planned = HeapMeter.measure(() -> {
            int[] order = shuffled((int) samples, new SplittableRandom(42));
            long start = System.nanoTime();
            Planner planner = Planners.withHints(SampleExtents.of(index), config);
            EpochOrder epoch = EpochOrder.of(0, order);
            order = null; // the planner keeps its own copy of the order, as the hint service hands it over
            planner.publish(epoch);
            List<Fetch> first = planner.poll(0, 64);
            firstPlanNanos[0] = System.nanoTime() - start;
            firstFetches[0] = first.size();
            complete(planner, first);
            readAhead(planner, epoch);
            return new Planned(planner, epoch);
        });
        if (firstFetches[0] == 0) {
            throw new IllegalStateException("the first plan fetched nothing");
        }
        double perSample = (double) planned.bytes() / samples;
        progress.printf(Locale.ROOT, "  planned in %.3f s (%d prefetches first), %,d heap bytes retained, %.2f a "
                + "sample%n", firstPlanNanos[0] / 1e9, firstFetches[0], planned.bytes(), perSample);
        Files.delete(file);
        List<ScaleFigure> out = new ArrayList<>();
        out.add(new ScaleFigure("plan.heap_bytes_per_sample", perSample, "bytes", String.format(Locale.ROOT,
                "%,d bytes retained by a hinted planner over a mapped %,d-sample index, the published order "
                        + "(4 bytes a sample) included, after %,d reads%s", planned.bytes(), samples, READS, note)));
        out.add(new ScaleFigure("plan.first_plan_seconds", firstPlanNanos[0] / 1e9, "seconds",
                "build the planner, publish a shuffled epoch, first poll" + note));
        return out;
    }

    /** What the measurement keeps reachable. */
    private record Planned(Planner planner, EpochOrder order) {
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

    /** Reads the first samples of the order one by one, every fetch completing before the next read. */
    private static void readAhead(Planner planner, EpochOrder order) {
        long now = 0;
        for (int p = 0; p < Math.min(READS, order.size()); p++) {
            now += 50_000; // 20,000 reads a second
            complete(planner, planner.onRead(order.sampleAt(p), now));
            complete(planner, planner.poll(now, 64));
        }
    }
}
