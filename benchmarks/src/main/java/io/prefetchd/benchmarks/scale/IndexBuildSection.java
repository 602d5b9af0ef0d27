package io.prefetchd.benchmarks.scale;

import io.prefetchd.formats.DatasetIndex;
import io.prefetchd.formats.DatasetIndexer;
import io.prefetchd.formats.DatasetSpec;
import io.prefetchd.formats.FileLayout;
import io.prefetchd.formats.FilesIndexWriter;
import io.prefetchd.formats.IndexBuild;
import io.prefetchd.formats.IndexStore;
import io.prefetchd.formats.ObjectRef;
import io.prefetchd.formats.RangeSource;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What building a file-per-sample index from a listing costs: the peak live heap per listed object and the time,
 * for {@link SyntheticFiles} listings of 10 M objects, two ways. {@code listed}: the listing collected as S3 pages
 * arrive (one {@link ObjectRef} an object, as {@link RangeSource#list} returns it), built by
 * {@link DatasetIndexer#build} and written by {@link IndexStore#write}. {@code streamed}: each object handed to a
 * {@link FilesIndexWriter} as it is listed, then dropped. The two files are compared byte for byte. Then the
 * gateway's path, {@link DatasetIndexer#loadOrBuild} over a source that pages its listing
 * ({@link SyntheticListingSource}): the first build into an empty {@link IndexStore} (its file compared with the
 * others) and a refresh of the unchanged listing, against that refresh as it was before the listing was paged
 * (the whole listing held and compared with the mapped index).
 *
 * <p>Rerun: {@code benchmarks/run-scale --only index-build} (FULL needs ~1.6 GiB of disk).
 */
final class IndexBuildSection implements ScaleSection {
    private static final int PROBE_EVERY = 1_000_000;
    private static final int PER_CLASS = 1_000;

    @Override
    public String name() {
        return "index-build";
    }

    @Override
    public List<ScaleFigure> run(ScaleSize size, Path work, PrintStream progress) throws Exception {
        int n = size == ScaleSize.FULL ? 10_000_000 : 100_000;
        String note = size == ScaleSize.FULL ? "" : " (QUICK: " + n + " objects)";
        SyntheticFiles listing = new SyntheticFiles(n);
        DatasetSpec spec = listing.spec();
        Path streamedFile = work.resolve("streamed.pfidx");
        Path listedFile = work.resolve("listed.pfidx");

        Built streamed = streamed(spec, listing.objects(), streamedFile);
        progress.printf(Locale.ROOT, "  streamed %,d objects: %.1f s, peak %.1f heap bytes an object%n", n,
                streamed.seconds, (double) streamed.peakBytes / n);
        Built listed = listed(spec, listing.objects(), listedFile);
        progress.printf(Locale.ROOT, "  listed %,d objects: %.1f s, peak %.1f heap bytes an object%n", n,
                listed.seconds, (double) listed.peakBytes / n);
        same(streamedFile, listedFile);
        Files.delete(streamedFile);

        IndexStore store = IndexStore.inFolder(work.resolve("state"));
        Built first = loadOrBuild(listing.objects(), spec, store, true);
        progress.printf(Locale.ROOT, "  loadOrBuild, first build of %,d objects: %.1f s, peak %.1f heap bytes an "
                + "object%n", n, first.seconds, (double) first.peakBytes / n);
        same(store.file(spec), listedFile);
        Files.delete(listedFile);
        Built unchanged = loadOrBuild(listing.objects(), spec, store, false);
        progress.printf(Locale.ROOT, "  loadOrBuild, unchanged refresh of %,d objects: %.1f s, peak %.1f heap bytes "
                + "an object%n", n, unchanged.seconds, (double) unchanged.peakBytes / n);
        Built heldUnchanged = heldRefresh(listing, store);
        progress.printf(Locale.ROOT, "  held listing, unchanged refresh of %,d objects: %.1f s, peak %.1f heap bytes "
                + "an object%n", n, heldUnchanged.seconds, (double) heldUnchanged.peakBytes / n);
        DatasetSpec imageFolder = DatasetSpec.files(spec.location(), FileLayout.IMAGE_FOLDER);
        Built classes = loadOrBuild(inClassFolders(listing.objects()), imageFolder, store, true);
        progress.printf(Locale.ROOT, "  loadOrBuild, first build of %,d objects in ImageFolder class folders: %.1f s, "
                + "peak %.1f heap bytes an object%n", n, classes.seconds, (double) classes.peakBytes / n);
        Files.delete(store.file(imageFolder));
        Path stored = store.file(spec);
        Files.delete(stored);
        for (Path d = stored.getParent(); d != null && !d.equals(work); d = d.getParent()) {
            Files.delete(d);   // the store's folders, empty now: anything else left there fails here
        }

        return List.of(
                new ScaleFigure("index-build.files.streamed_heap_bytes_per_object_10m",
                        (double) streamed.peakBytes / n, "bytes",
                        "peak live heap while a listing is streamed to the index file" + note),
                new ScaleFigure("index-build.files.streamed_seconds_10m", streamed.seconds, "seconds",
                        "listing streamed to spilled columns, then copied into the index" + note),
                new ScaleFigure("index-build.files.listed_heap_bytes_per_object_10m",
                        (double) listed.peakBytes / n, "bytes",
                        "peak live heap: listing held, built on the heap, then written" + note),
                new ScaleFigure("index-build.files.listed_seconds_10m", listed.seconds, "seconds",
                        "listing held, built on the heap, then written; same bytes as streamed" + note),
                new ScaleFigure("index-build.files.load_or_build_first_heap_bytes_per_object_10m",
                        (double) first.peakBytes / n, "bytes",
                        "peak live heap: DatasetIndexer.loadOrBuild, empty store, paged listing" + note),
                new ScaleFigure("index-build.files.load_or_build_first_seconds_10m", first.seconds, "seconds",
                        "loadOrBuild streams the paged listing into the store's file; same bytes as listed" + note),
                new ScaleFigure("index-build.files.load_or_build_unchanged_heap_bytes_per_object_10m",
                        (double) unchanged.peakBytes / n, "bytes",
                        "peak live heap: loadOrBuild again, listing unchanged, nothing written" + note),
                new ScaleFigure("index-build.files.load_or_build_unchanged_seconds_10m", unchanged.seconds,
                        "seconds", "paged listing compared with the mapped index, nothing written" + note),
                new ScaleFigure("index-build.files.held_unchanged_heap_bytes_per_object_10m",
                        (double) heldUnchanged.peakBytes / n, "bytes",
                        "peak live heap: whole listing held, compared with the mapped index (before)" + note),
                new ScaleFigure("index-build.files.held_unchanged_seconds_10m", heldUnchanged.seconds, "seconds",
                        "DatasetIndexer.refresh of the loaded index from the held listing (before)" + note),
                new ScaleFigure("index-build.imagefolder.load_or_build_first_heap_bytes_per_object_10m",
                        (double) classes.peakBytes / n, "bytes", "peak live heap: loadOrBuild of the same objects in "
                        + "class folders of " + PER_CLASS + ", ImageFolder order, empty store" + note),
                new ScaleFigure("index-build.imagefolder.load_or_build_first_seconds_10m", classes.seconds, "seconds",
                        "ImageFolder order is the listing's here, so the paged listing is streamed" + note));
    }

    private record Built(double seconds, long peakBytes) {
    }

    /** Every 1 M objects, or ten times a listing when it is smaller. */
    private static int probeEvery(long objects) {
        return (int) Math.max(1, Math.min(PROBE_EVERY, objects / 10));
    }

    private static void same(Path a, Path b) throws IOException {
        long mismatch = Files.mismatch(a, b);
        if (mismatch != -1) {
            throw new IllegalStateException(a + " differs from " + b + " at byte " + mismatch);
        }
    }

    /** {@code objects} with their names in class folders of {@link #PER_CLASS}: {@code train/c00042/...jpg}. */
    private static List<ObjectRef> inClassFolders(List<ObjectRef> objects) {
        return new AbstractList<>() {
            @Override
            public ObjectRef get(int o) {
                ObjectRef r = objects.get(o);
                String name = r.key().substring(r.key().lastIndexOf('/') + 1);
                return new ObjectRef(String.format(Locale.ROOT, "train/c%05d/%s", o / PER_CLASS, name), r.size(),
                        r.etag());
            }

            @Override
            public int size() {
                return objects.size();
            }
        };
    }

    /** The gateway's path: {@link DatasetIndexer#loadOrBuild} over a source that pages its listing. */
    private static Built loadOrBuild(List<ObjectRef> objects, DatasetSpec spec, IndexStore store, boolean writes)
            throws Exception {
        try (HeapPeak peak = new HeapPeak()) {
            DatasetIndexer indexer = DatasetIndexer.create(new SyntheticListingSource(objects,
                    probeEvery(objects.size()), peak::probe), Runnable::run, 1, Clock.systemUTC());
            long start = System.nanoTime();
            IndexBuild build = indexer.loadOrBuild(spec, store);
            double seconds = (System.nanoTime() - start) / 1e9;
            peak.probe();
            boolean wrote = build.notes().stream().anyMatch(note -> note.startsWith("saved "));
            if (build.index().sampleCount() != objects.size() || wrote != writes) {
                throw new IllegalStateException("loadOrBuild: " + build.index().sampleCount() + " samples, "
                        + build.notes());
            }
            return new Built(seconds, peak.peakBytes());
        }
    }

    /**
     * What an unchanged refresh cost before the listing was paged: the loaded (mapped) index refreshed from the
     * whole listing, held, by {@link DatasetIndexer#refresh}.
     */
    private static Built heldRefresh(SyntheticFiles listing, IndexStore store) throws Exception {
        try (HeapPeak peak = new HeapPeak()) {
            DatasetIndexer indexer = DatasetIndexer.create(new SyntheticListingSource(listing.objects(),
                    probeEvery(listing.sampleCount()), peak::probe), Runnable::run, 1, Clock.systemUTC());
            long start = System.nanoTime();
            DatasetIndex previous = store.load(listing.spec()).orElseThrow();
            IndexBuild build = indexer.refresh(listing.spec(), Optional.of(previous));
            double seconds = (System.nanoTime() - start) / 1e9;
            peak.probe();
            if (build.index() != previous) {
                throw new IllegalStateException("the held refresh of an unchanged listing built a new index");
            }
            return new Built(seconds, peak.peakBytes());
        }
    }

    private static Built streamed(DatasetSpec spec, List<ObjectRef> listing, Path file) throws Exception {
        try (HeapPeak peak = new HeapPeak()) {
            long start = System.nanoTime();
            try (FilesIndexWriter w = FilesIndexWriter.create(spec, file)) {
                for (int i = 0; i < listing.size(); i++) {
                    w.add(listing.get(i));
                    if (i % PROBE_EVERY == PROBE_EVERY - 1) {
                        peak.probe();
                    }
                }
                w.finish();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return new Built(seconds, peak.peakBytes());
        }
    }

    private static Built listed(DatasetSpec spec, List<ObjectRef> listing, Path file) throws Exception {
        try (HeapPeak peak = new HeapPeak()) {
            long start = System.nanoTime();
            List<ObjectRef> held = new ArrayList<>();
            for (int i = 0; i < listing.size(); i++) {
                held.add(listing.get(i));
                if (i % PROBE_EVERY == PROBE_EVERY - 1) {
                    peak.probe();
                }
            }
            DatasetIndexer indexer = DatasetIndexer.create(new Listed(held), Runnable::run, 1, Clock.systemUTC());
            IndexBuild build = indexer.build(spec);
            peak.probe();
            IndexStore.write(build.index(), file);
            double seconds = (System.nanoTime() - start) / 1e9;
            peak.probe();
            if (build.index().sampleCount() != listing.size() || held.isEmpty()) {
                throw new IllegalStateException("built " + build.index().sampleCount() + " samples");
            }
            return new Built(seconds, peak.peakBytes());
        }
    }

    /** A source that only lists, returning a listing already held (as an S3 source collects its pages). */
    private record Listed(List<ObjectRef> objects) implements ListingOnlySource {
        @Override
        public List<ObjectRef> list(String prefix) {
            return objects;
        }
    }
}
