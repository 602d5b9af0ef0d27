package io.prefetchd.benchmarks.scale;

import io.prefetchd.formats.DatasetIndex;
import io.prefetchd.formats.IndexStore;
import io.prefetchd.formats.ObjectRef;
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
 * 10 M and 100 M samples, for a WebDataset-shaped index (10,000 samples a shard, 10-character keys) and a
 * file-per-sample one ({@link SyntheticFiles}: one object a sample, 19-character keys, 32-digit ETags).
 *
 * <p>An index file is written once per size, then opened as the gateway opens it ({@link IndexStore#read}: the
 * file is mapped, its header and directory checked, nothing per sample decoded). The open is timed with the file in
 * the page cache (it was just written), which is what a restart of the gateway on the same node sees; from a cold
 * disk, add the time to read the header and directory pages. After the open, 100,000 random lookups (READ → sample,
 * sample → extent) check the index answers, and are timed too.
 *
 * <p>Rerun: {@code benchmarks/run-scale --only index} (FULL needs ~8 GiB of disk for the 100 M-sample files, one at a
 * time).
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
        Opened a = openOnce(new SyntheticWebDataset(small), work, progress);
        Opened b = openOnce(new SyntheticWebDataset(large), work, progress);
        out.add(new ScaleFigure("index.heap_bytes_per_sample", (double) b.heapBytes / large, "bytes",
                String.format(Locale.ROOT, "%,d bytes retained by an opened %,d-sample index; the file (%,d bytes) "
                        + "is mapped, not decoded%s", b.heapBytes, large, b.fileBytes, sizes)));
        out.add(new ScaleFigure("index.open_seconds_10m", a.openSeconds, "seconds",
                "map, check header and directory; file in the page cache" + sizes));
        out.add(new ScaleFigure("index.open_seconds_100m", b.openSeconds, "seconds",
                "map, check header and directory; file in the page cache" + sizes));
        out.add(new ScaleFigure("index.lookup_micros_100m", b.lookupMicros, "µs",
                "one READ → sample and one sample → extent, random, first touches included" + sizes));
        Opened fa = openOnce(new SyntheticFiles(small), work, progress);
        Opened fb = openOnce(new SyntheticFiles(large), work, progress);
        out.add(new ScaleFigure("index.files.heap_bytes_per_sample", (double) fb.heapBytes / large, "bytes",
                String.format(Locale.ROOT, "file-per-sample: %,d bytes retained by an opened %,d-sample index; "
                        + "the file (%.1f bytes a sample) is mapped%s", fb.heapBytes, large,
                        (double) fb.fileBytes / large, sizes)));
        out.add(new ScaleFigure("index.files.open_seconds_10m", fa.openSeconds, "seconds",
                "file-per-sample; file in the page cache" + sizes));
        out.add(new ScaleFigure("index.files.open_seconds_100m", fb.openSeconds, "seconds",
                "file-per-sample; file in the page cache" + sizes));
        out.add(new ScaleFigure("index.files.lookup_micros_100m", fb.lookupMicros, "µs",
                "file-per-sample: READ → sample (a binary search of the keys) and sample → extent" + sizes));
        return out;
    }

    private record Opened(double openSeconds, long heapBytes, long fileBytes, double lookupMicros) {
    }

    private static Opened openOnce(DatasetIndex synthetic, Path work, PrintStream progress) throws IOException {
        long samples = synthetic.sampleCount();
        Path file = work.resolve("index-" + samples + ".pfidx");
        long t0 = System.nanoTime();
        IndexStore.write(synthetic, file);
        progress.printf(Locale.ROOT, "  wrote %,d %s samples (%,d bytes) in %.1f s%n", samples,
                synthetic.spec().format(), Files.size(file),
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
    private static double lookups(DatasetIndex index, DatasetIndex expected) {
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
            ObjectRef object = expected.objects().get((int) e[0]);
            long found = locator.sampleAt(object.key(), object.etag(), e[1] + random.nextLong(e[2]));
            if (found != sample || index.sampleBytes(sample) != e[2]) {
                throw new IllegalStateException("sample " + sample + ": the index says " + found);
            }
        }
        return (System.nanoTime() - start) / 1e3 / n;
    }
}
