package io.prefetchd.benchmarks.scale;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.cache.DiskExtentCache;
import io.prefetchd.gateway.fs.FileType;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.MetadataSettings;
import io.prefetchd.gateway.fs.S3FileSystem;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Question: what do the names of an indexed dataset of 10 M objects cost the gateway's heap, held whole so that
 * no LOOKUP, GETATTR or READDIR under it asks S3, and what does reading them from a mapped file cost a LOOKUP?
 *
 * <p>Setup: {@link SyntheticTreeStore}, 10,000 folders of 1,000 objects computed as they are listed (nothing of
 * them is held by the store). The gateway's file system pins the dataset's folder (one paged flat LIST, 1,000
 * keys a page), once with the names held on the heap ({@code heap}), then with the names moved to a mapped file as
 * the daemon does ({@code file}). The heap each retains after the pin, divided by the objects, is
 * {@code dataset_names.<mode>_heap_bytes_per_object}, and the most live heap seen during the pin is
 * {@code <mode>_peak_heap_bytes_per_object}; the pin's time is {@code <mode>_pin_seconds}; then
 * {@code lookups} LOOKUP + GETATTR of random names in random folders, in the file system (no NFS):
 * {@code <mode>_lookup_p50_us}.
 *
 * <p>Rerun: {@code benchmarks/run-scale --only dataset_names} (FULL: 10 M objects; {@code --size quick}: 100 k).
 */
public final class DatasetNamesSection implements ScaleSection {

    @Override
    public String name() {
        return "dataset_names";
    }

    @Override
    public List<ScaleFigure> run(ScaleSize size, Path work, PrintStream progress) throws Exception {
        int folders = size == ScaleSize.FULL ? 10_000 : 100;   // QUICK: enough megabytes for HeapMeter
        int perFolder = 1_000;
        int lookups = size == ScaleSize.FULL ? 20_000 : 500;
        long objects = (long) folders * perFolder;
        SyntheticTreeStore store = new SyntheticTreeStore("train/", folders, perFolder);
        List<ScaleFigure> figures = new ArrayList<>();
        for (String mode : new String[] {"heap", "file"}) {   // heap first: it pays the JVM's one-time costs
            Path names = mode.equals("file") ? work.resolve("names") : null;
            try (DiskExtentCache cache = DiskExtentCache.open(work.resolve("cache-" + mode), 64L << 20,
                    DiskExtentCache.MIN_GRAIN_BYTES, store, new SimpleMeterRegistry(), Clock.systemUTC())) {
                S3FileSystem fs = new S3FileSystem(store, "", cache, inode -> inode.path().hashCode(),
                        new MetadataSettings(Duration.ofHours(1), Duration.ofHours(24), Duration.ofHours(1),
                                MetadataSettings.DEFAULT_LISTING_CACHE_BYTES, names),
                        Clock.systemUTC(), Runnable::run, new SimpleMeterRegistry());
                long[] nanos = new long[1];
                long peak;
                HeapMeter.Retained<S3FileSystem> held;
                try (HeapPeak during = new HeapPeak()) {
                    held = HeapMeter.measure(() -> {
                        long t0 = System.nanoTime();
                        fs.pinDataset("train", true, () -> { });
                        nanos[0] = System.nanoTime() - t0;
                        return fs;
                    });
                    peak = during.peakBytes();
                }
                double perObject = (double) held.bytes() / objects;
                double peakPerObject = (double) peak / objects;
                double p50 = lookups(held.value(), store, lookups);
                progress.printf(Locale.ROOT, "%s: %,d objects pinned in %.1f s, %.1f bytes of heap per object "
                        + "(%.1f at the peak), LOOKUP + GETATTR p50 %.1f us%n", mode, objects, nanos[0] / 1e9,
                        perObject, peakPerObject, p50);
                figures.add(new ScaleFigure("dataset_names." + mode + "_heap_bytes_per_object", perObject, "bytes",
                        "heap retained by the pinned names of " + objects + " objects in " + folders + " folders"
                                + (names != null ? ", read from a mapped file" : ", held on the heap")));
                figures.add(new ScaleFigure("dataset_names." + mode + "_peak_heap_bytes_per_object", peakPerObject,
                        "bytes", "the most heap live after any collection while the names were listed and built "
                                + "(a lower bound of the peak)"));
                figures.add(new ScaleFigure("dataset_names." + mode + "_pin_seconds", nanos[0] / 1e9, "seconds",
                        "one paged flat LIST of the dataset's folder and the listings built"
                                + (names != null ? " and written to the file" : "")));
                figures.add(new ScaleFigure("dataset_names." + mode + "_lookup_p50_us", p50, "us",
                        lookups + " LOOKUP + GETATTR of random names, in the file system"));
            }
        }
        return figures;
    }

    /** p50 of LOOKUP of a folder and a name in it, then GETATTR of the file, in microseconds. */
    private static double lookups(S3FileSystem fs, SyntheticTreeStore store, int count) throws FsException {
        Random random = new Random(23);
        long[] nanos = new long[count];
        Inode root = fs.lookup(Inode.ROOT, "train");
        for (int i = 0; i < count; i++) {
            int folder = random.nextInt(store.folders());
            int object = random.nextInt(store.perFolder());
            long t0 = System.nanoTime();
            Inode dir = fs.lookup(root, store.folderName(folder));
            Inode file = fs.lookup(dir, store.objectName(folder, object));
            long bytes = fs.getattr(file).size();
            nanos[i] = System.nanoTime() - t0;
            if (file.type() != FileType.REGULAR || bytes != store.size(folder, object)) {
                throw new IllegalStateException("wrong attributes for " + file.path());
            }
        }
        Arrays.sort(nanos);
        return nanos[count / 2] / 1e3;
    }
}
