package io.prefetchd.benchmarks.scale;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.cache.DiskExtentCache;
import io.prefetchd.gateway.cache.SyntheticCacheIndex;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The extent cache's index at scale. Questions: how many bytes of heap does each cached block cost (the index and
 * the eviction policy's state), how long does a restart take to open a cache of 1 M and of 10 M blocks, and how
 * long would it take if the cache listed its block files instead of reading its index?
 *
 * <p>Heap and open time: a synthetic index of 128 KiB blocks (1,000 per object, as in sharded datasets) written the
 * way a clean close writes it ({@link SyntheticCacheIndex}), then {@link DiskExtentCache#open} on it, measured with
 * {@link HeapMeter} while the cache is open. The block files are not created: open reads only the index (so their
 * bytes do not matter), and the index file was just written, so it is read from the page cache. Listing: a cache
 * folder of that many empty-but-sized (sparse) block files, opened after its index is deleted, so the cache falls
 * back to listing the folders; run at a smaller count and stated per million. Checkpoint: the time to write the
 * synthetic index, about what a checkpoint taken while serving takes in the background.
 *
 * <p>Rerun: {@code benchmarks/run-scale --only cache} (add {@code --size quick} for a smoke run).
 */
public final class CacheSection implements ScaleSection {
    private static final int GRAIN = 128 * 1024;
    private static final int BLOCKS_PER_OBJECT = 1000;

    @Override
    public String name() {
        return "cache";
    }

    @Override
    public List<ScaleFigure> run(ScaleSize size, Path work, PrintStream progress) throws Exception {
        boolean full = size == ScaleSize.FULL;
        int small = full ? 1_000_000 : 10_000;
        int large = full ? 10_000_000 : 100_000;
        int listed = full ? 100_000 : 1_000;
        String scale = full ? "" : " (QUICK: " + small + " and " + large + " blocks)";
        List<ScaleFigure> figures = new ArrayList<>();

        Opened a = openIndexed(work.resolve("index-small"), small, progress);
        Opened b = openIndexed(work.resolve("index-large"), large, progress);
        figures.add(new ScaleFigure("cache.heap_bytes_per_block", b.heapPerBlock(), "bytes",
                "index and CLOCK state at " + large + " blocks; target <= 40" + scale));
        figures.add(new ScaleFigure("cache.heap_bytes_per_block_1m", a.heapPerBlock(), "bytes",
                "the same at " + small + " blocks"));
        figures.add(new ScaleFigure("cache.open_seconds_1m", a.seconds(), "seconds",
                "open from the index (" + a.indexBytes() / (1024 * 1024) + " MiB, in the page cache), " + small
                        + " blocks"));
        figures.add(new ScaleFigure("cache.open_seconds_10m", b.seconds(), "seconds",
                "open from the index (" + b.indexBytes() / (1024 * 1024) + " MiB, in the page cache), " + large
                        + " blocks"));
        figures.add(new ScaleFigure("cache.checkpoint_seconds_10m", b.checkpointSeconds(), "seconds",
                "writing the checkpoint of " + large + " blocks (while serving it runs in the background, "
                        + "holding the cache's lock for slices of 16,384 blocks)"));

        double scan = openByListing(work.resolve("listing"), listed, progress);
        figures.add(new ScaleFigure("cache.listing_open_seconds_per_million", scan * 1_000_000 / listed, "seconds",
                "the fallback without an index: listing " + listed + " block files, scaled to 1 M"));
        return figures;
    }

    private record Opened(double seconds, double heapPerBlock, long indexBytes, double checkpointSeconds) {
    }

    private static Opened openIndexed(Path dir, int blocks, PrintStream progress) throws IOException {
        progress.printf(Locale.ROOT, "writing a synthetic index of %,d blocks%n", blocks);
        long written = System.nanoTime();
        long capacity = SyntheticCacheIndex.write(dir, GRAIN, blocks, BLOCKS_PER_OBJECT, blocks);
        double checkpointSeconds = (System.nanoTime() - written) / 1e9;
        long indexBytes = Files.size(dir.resolve("v2-g" + GRAIN).resolve("index"));
        try (InMemoryObjectStore store = new InMemoryObjectStore("scale")) {
            long[] nanos = new long[1];
            HeapMeter.Retained<DiskExtentCache> opened = HeapMeter.measure(() -> {
                long started = System.nanoTime();
                DiskExtentCache cache = DiskExtentCache.open(dir, capacity, GRAIN, store, new SimpleMeterRegistry(),
                        Clock.systemUTC());
                nanos[0] = System.nanoTime() - started;
                return cache;
            });
            try (DiskExtentCache cache = opened.value()) {
                if (cache.stats().blocks() != blocks) {
                    throw new IllegalStateException("opened " + cache.stats().blocks() + " blocks, wrote " + blocks);
                }
                progress.printf(Locale.ROOT, "opened %,d blocks in %.2f s, %,d bytes of heap%n", blocks,
                        nanos[0] / 1e9, opened.bytes());
                return new Opened(nanos[0] / 1e9, (double) opened.bytes() / blocks, indexBytes, checkpointSeconds);
            }
        }
    }

    /** Seconds to open a cache of {@code blocks} block files without an index (the folder-listing fallback). */
    private static double openByListing(Path dir, int blocks, PrintStream progress) throws IOException {
        progress.printf(Locale.ROOT, "creating %,d sparse block files%n", blocks);
        Path root = dir.resolve("v2-g" + GRAIN);
        HexFormat hex = HexFormat.of();
        SplittableRandom random = new SplittableRandom(7);
        for (int b = 0; b < blocks; b++) {
            String id = hex.toHexDigits(random.nextLong()) + hex.toHexDigits(random.nextLong());
            Path file = root.resolve(id.substring(0, 2)).resolve(id.substring(2, 4))
                    .resolve(id + "-0-" + GRAIN + ".blk");
            Files.createDirectories(file.getParent());
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                f.setLength(GRAIN + SyntheticCacheIndex.HEADER_BYTES);
            }
        }
        try (InMemoryObjectStore store = new InMemoryObjectStore("scale")) {
            long started = System.nanoTime();
            try (DiskExtentCache cache = DiskExtentCache.open(dir, (long) blocks * 2 * GRAIN, GRAIN, store,
                    new SimpleMeterRegistry(), Clock.systemUTC())) {
                double seconds = (System.nanoTime() - started) / 1e9;
                if (cache.stats().blocks() != blocks) {
                    throw new IllegalStateException("listed " + cache.stats().blocks() + " blocks, made " + blocks);
                }
                progress.printf(Locale.ROOT, "listed %,d block files in %.2f s%n", blocks, seconds);
                return seconds;
            }
        }
    }
}
