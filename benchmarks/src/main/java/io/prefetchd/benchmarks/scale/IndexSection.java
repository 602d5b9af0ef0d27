package io.prefetchd.benchmarks.scale;

import io.prefetchd.formats.DatasetIndex;
import io.prefetchd.formats.IndexStore;
import io.prefetchd.formats.SampleLocator;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * What a dataset index costs a node: heap bytes per sample of an opened index, and how long opening one takes at
 * 10 M and 100 M samples (WebDataset-shaped: 10,000 samples a shard, 10-character keys).
 *
 * <p>An index file is written once per size, then opened as the gateway opens it ({@link IndexStore#read}: the
 * file is mapped, its header and directory checked, nothing per sample decoded). The open is timed with the file in
 * the page cache (it was just written), which is what a restart of the gateway on the same node sees; from a cold
 * disk, add the time to read the header and directory pages. After the open, 100,000 random lookups (READ → sample,
 * sample → extent) check the index answers, and are timed too.
 *
 * <p>Rerun: {@code benchmarks/run-scale --only index} (FULL needs ~4 GiB of disk for the 100 M-sample file).
 */
final class IndexSection implements ScaleSection {
    @Override
    public String name() {
        return "index";
    }

    @Override
    public List<ScaleFigure> run(ScaleSize size, Path work, PrintStream progress) throws Exception {
        long small = size == ScaleSize.FULL ? 10_000_000L : 100_000L;
        long large = size == ScaleSize.FULL ? 100_000_000L : 1_000_000L;
        String sizes = size == ScaleSize.FULL ? "" : " (QUICK: " + small + " and " + large + " samples)";
        List<ScaleFigure> out = new ArrayList<>();
        Opened a = openOnce(small, work, progress);
        Opened b = openOnce(large, work, progress);
        out.add(new ScaleFigure("index.heap_bytes_per_sample", (double) b.heapBytes / large, "bytes",
                String.format(Locale.ROOT, "%,d bytes retained by an opened %,d-sample index; the file (%,d bytes) "
                        + "is mapped, not decoded%s", b.heapBytes, large, b.fileBytes, sizes)));
        out.add(new ScaleFigure("index.open_seconds_10m", a.openSeconds, "seconds",
                "map, check header and directory; file in the page cache" + sizes));
        out.add(new ScaleFigure("index.open_seconds_100m", b.openSeconds, "seconds",
                "map, check header and directory; file in the page cache" + sizes));
        out.add(new ScaleFigure("index.lookup_micros_100m", b.lookupMicros, "µs",
                "one READ → sample and one sample → extent, random, first touches included" + sizes));
        return out;
    }

    private record Opened(double openSeconds, long heapBytes, long fileBytes, double lookupMicros) {
    }

    private static Opened openOnce(long samples, Path work, PrintStream progress) throws IOException {
        Path file = work.resolve("index-" + samples + ".pfidx");
        SyntheticWebDataset synthetic = new SyntheticWebDataset(samples);
        long t0 = System.nanoTime();
        IndexStore.write(synthetic, file);
        progress.printf(Locale.ROOT, "  wrote %,d samples (%,d bytes) in %.1f s%n", samples, Files.size(file),
                (System.nanoTime() - t0) / 1e9);
        long[] openNanos = new long[1];
        HeapMeter.Retained<DatasetIndex> opened = HeapMeter.measure(() -> {
            long start = System.nanoTime();
            try {
                DatasetIndex index = IndexStore.read(file);
                openNanos[0] = System.nanoTime() - start;
                return index;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        DatasetIndex index = opened.value();
        if (index.sampleCount() != samples) {
            throw new IllegalStateException("opened " + index.sampleCount() + " samples, wrote " + samples);
        }
        double lookup = lookups(index, synthetic);
        long fileBytes = Files.size(file);
        Files.delete(file);
        progress.printf(Locale.ROOT, "  opened in %.3f s, %,d heap bytes retained, %.2f µs a lookup%n",
                openNanos[0] / 1e9, opened.bytes(), lookup);
        return new Opened(openNanos[0] / 1e9, opened.bytes(), fileBytes, lookup);
    }

    /** Random READ → sample → extent lookups, each checked against the synthetic dataset; µs per lookup. */
    private static double lookups(DatasetIndex index, SyntheticWebDataset expected) {
        SampleLocator locator = SampleLocator.of(index);
        Random random = new Random(42);
        int n = 100_000;
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long sample = random.nextLong(index.sampleCount());
            long[] e = new long[3];
            expected.forEachExtent(sample, (o, off, len) -> {
                e[0] = o;
                e[1] = off;
                e[2] = len;
            });
            String key = expected.objects().get((int) e[0]).key();
            long found = locator.sampleAt(key, "etag-" + e[0], e[1] + random.nextLong(e[2]));
            if (found != sample || index.sampleBytes(sample) != e[2]) {
                throw new IllegalStateException("sample " + sample + ": the index says " + found);
            }
        }
        return (System.nanoTime() - start) / 1e3 / n;
    }
}
