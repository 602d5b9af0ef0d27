package io.prefetchd.planner;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The {@link ExtentTable} of a dataset read front to back: every sample reads extents no other sample reads, and
 * walking the samples in order visits each object's extents in increasing, disjoint offsets, one object after the
 * other. That is a WebDataset (samples are consecutive tar members of consecutive shards), a file-per-sample folder,
 * and the gateway's block view of either.
 *
 * <h2>Nothing per extent</h2>
 * In such a dataset the extent ids in order of first use are the extent occurrences in sample order, so everything
 * the general table stores per extent follows from the order itself: sample {@code s} reads ids
 * {@code [start(s), start(s + 1))} (and {@code start(s) = s} when every sample is one extent, the common case, so not
 * even that is kept), an extent's only owner is the sample whose range holds it, an object's extents are one run of
 * ids (its neighbours are {@code id ± 1} inside the run), and offsets and lengths are read back from the dataset
 * when asked (a mapped index answers from its file). What is kept: the start of each object's run (nothing when
 * every object is one extent, a file per sample; about a byte an object when its runs are short: {@link
 * SampleStarts}), the sample starts when some sample is not exactly one extent (about a byte a sample), and the
 * object names only when the dataset does not number its objects itself ({@link NumberedObjects}: then a name is
 * read back from the dataset when asked and found by the dataset's own look-up). The last extent read back is
 * remembered, since the engine asks for the offset and the length of one extent in a row.
 *
 * <p>Not thread-safe (the remembered extent): owned by one engine, like the rest of its state.
 */
final class OrderedExtentTable extends ExtentTable {
    private final SampleExtents dataset;
    private final int sampleCount;
    private final int extentCount;
    private final long datasetBytes;
    /** Where each sample's ids start, or null when sample {@code s} is extent {@code s}. */
    private final @Nullable SampleStarts sampleStart;
    /** Where each object's run of ids starts, or null when object {@code o} is extent {@code o} (while any). */
    private final @Nullable SampleStarts objectStart;
    private final int objectCount;
    private final ObjectNames names;

    private int loadedId = -1;
    private long loadedOffset;
    private long loadedLength;

    private OrderedExtentTable(SampleExtents dataset, Scan scan, ObjectNames names) {
        this.dataset = dataset;
        this.sampleCount = dataset.sampleCount();
        this.extentCount = scan.count;
        this.datasetBytes = scan.bytes;
        int[] starts = scan.sampleStart;
        this.sampleStart = starts == null ? null : SampleStarts.of(starts, sampleCount);
        this.objectCount = names.count();
        int[] runs = scan.objectRuns(objectCount);
        this.objectStart = runs == null ? null : SampleStarts.of(runs, objectCount);
        this.names = names;
    }

    /** The table of {@code dataset} if it is read front to back, else null (the general table takes it). */
    static @Nullable OrderedExtentTable tryOf(SampleExtents dataset) {
        int n = dataset.sampleCount();
        if (n < 0) {
            return null;
        }
        if (dataset instanceof NumberedObjects numbered) {
            Scan scan = new Scan(n, numbered.objectCount());
            for (int s = 0; s < n && scan.ok; s++) {
                int before = scan.count;
                numbered.forEachNumberedExtent(s, scan);
                scan.endSample(s, before);
            }
            if (scan.ok) {
                return new OrderedExtentTable(dataset, scan, ObjectNames.of(numbered));
            }
            // numbered out of order (objects listed in another order than read): numbered by first use below
        }
        ObjectNames.Listing listing = new ObjectNames.Listing();
        Scan scan = new Scan(n, Integer.MAX_VALUE);
        SampleExtents.ExtentVisitor byName = (name, offset, length) -> scan.accept(listing.number(name), offset,
                length);
        for (int s = 0; s < n && scan.ok; s++) {
            int before = scan.count;
            dataset.forEachExtent(s, byName);
            scan.endSample(s, before);
        }
        return scan.ok ? new OrderedExtentTable(dataset, scan, listing.names()) : null;
    }

    /**
     * One pass over the dataset, checking the shape and counting; gives up at the first extent that breaks it.
     * Objects must come in increasing numbers, each one run; numbers skipped on the way (objects no sample reads)
     * get empty runs. The run starts are kept only from the first object that is not exactly one extent.
     */
    private static final class Scan implements NumberedObjects.NumberedVisitor {
        final int samples;
        final int objectLimit;
        /** Run starts of objects {@code 0 ..= object}; null while object {@code o} has been extent {@code o}. */
        int @Nullable [] objectStart;
        int @Nullable [] sampleStart;
        boolean ok = true;
        int count;
        long bytes;
        int object = -1;
        long end;

        Scan(int samples, int objectLimit) {
            this.samples = samples;
            this.objectLimit = objectLimit;
        }

        @Override
        public void accept(int o, long offset, long length) {
            if (!ok) {
                return;
            }
            if (o < 0 || o >= objectLimit || offset < 0 || length <= 0 || offset + length < 0
                    || count == Integer.MAX_VALUE - 16) {
                ok = false; // the general table names the error
                return;
            }
            if (o == object) {
                if (offset < end) {
                    ok = false; // not front to back
                    return;
                }
                runs(o + 1); // a second extent of one object: runs from now on
            } else if (o > object) {
                if (o != count) {
                    runs(o + 1);
                }
                int[] starts = objectStart;
                if (starts != null) {
                    starts = runs(o + 1);
                    for (int k = object + 1; k <= o; k++) {
                        starts[k] = count; // objects skipped on the way read nothing
                    }
                }
                object = o;
            } else {
                ok = false; // an object read again later
                return;
            }
            end = offset + length;
            bytes += length;
            count++;
        }

        /** The run starts with room for {@code objects} entries, made from the identity up to {@link #object}. */
        private int[] runs(int objects) {
            int[] starts = objectStart;
            if (starts == null) {
                starts = new int[Math.max(16, objects + 1)];
                for (int k = 0; k <= object; k++) {
                    starts[k] = k;
                }
            } else if (objects >= starts.length) {
                starts = Arrays.copyOf(starts, Math.max(objects + 1, starts.length * 2));
            }
            objectStart = starts;
            return starts;
        }

        /** Run starts of {@code objects} objects (one more entry than objects), or null when object o is extent o. */
        int @Nullable [] objectRuns(int objects) {
            int[] starts = objectStart;
            if (starts == null) {
                return null; // objects after the last extent have empty runs: start min(o, count)
            }
            starts = Arrays.copyOf(starts, objects + 1);
            for (int k = object + 1; k <= objects; k++) {
                starts[k] = count;
            }
            return starts;
        }

        void endSample(int s, int before) {
            if (sampleStart == null && (count - before != 1 || count != s + 1)) {
                sampleStart = new int[samples + 1];
                for (int i = 0; i <= s; i++) {
                    sampleStart[i] = Math.min(i, before); // samples before s were one extent each
                }
            }
            if (sampleStart != null) {
                sampleStart[s + 1] = count;
            }
        }
    }

    @Override
    int sampleCount() {
        return sampleCount;
    }

    @Override
    int extentCount() {
        return extentCount;
    }

    @Override
    long datasetBytes() {
        return datasetBytes;
    }

    @Override
    long readBytes() {
        return datasetBytes;
    }

    @Override
    int objectOf(int extent) {
        return objectStart == null ? extent : objectStart.sampleOf(extent);
    }

    @Override
    String objectName(int object) {
        return names.name(object);
    }

    /** The first id of object {@code o}'s run; {@code runStart(objectCount)} is the number of ids. */
    private int runStart(int o) {
        return objectStart == null ? Math.min(o, extentCount) : objectStart.start(o);
    }

    @Override
    long offset(int extent) {
        load(extent);
        return loadedOffset;
    }

    @Override
    long length(int extent) {
        load(extent);
        return loadedLength;
    }

    @Override
    int next(int extent) {
        return extent + 1 < runStart(objectOf(extent) + 1) ? extent + 1 : -1;
    }

    @Override
    int prev(int extent) {
        return extent > runStart(objectOf(extent)) ? extent - 1 : -1;
    }

    @Override
    int extentsStart(int sample) {
        return sampleStart == null ? sample : sampleStart.start(sample);
    }

    @Override
    int extentsEnd(int sample) {
        return sampleStart == null ? sample + 1 : sampleStart.start(sample + 1);
    }

    @Override
    int extentAt(int index) {
        return index;
    }

    @Override
    int ownersStart(int extent) {
        return extent;
    }

    @Override
    int ownersEnd(int extent) {
        return extent + 1;
    }

    @Override
    int ownerAt(int index) {
        return sampleOf(index);
    }

    @Override
    long sampleBytes(int sample) {
        long sum = 0;
        for (int e = extentsStart(sample); e < extentsEnd(sample); e++) {
            sum += length(e);
        }
        return sum;
    }

    @Override
    int idOf(Extent e) {
        int o = names.number(e.object());
        if (o < 0 || o >= objectCount) {
            return -1;
        }
        int lo = runStart(o);
        int hi = runStart(o + 1) - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            long off = offset(mid);
            if (off < e.offset()) {
                lo = mid + 1;
            } else if (off > e.offset()) {
                hi = mid - 1;
            } else {
                return length(mid) == e.length() ? mid : -1;
            }
        }
        return -1;
    }

    /** The sample that reads {@code extent}. */
    private int sampleOf(int extent) {
        return sampleStart == null ? extent : sampleStart.sampleOf(extent);
    }

    /** Reads extent {@code id} back from the dataset: the k-th extent of the sample that reads it. */
    private void load(int id) {
        if (id == loadedId) {
            return;
        }
        if (id < 0 || id >= extentCount) {
            throw new ArrayIndexOutOfBoundsException("extent " + id + " of " + extentCount);
        }
        int sample = sampleOf(id);
        int[] k = {id - extentsStart(sample)};
        NumberedObjects.NumberedVisitor take = (object, offset, length) -> {
            if (k[0]-- == 0) {
                loadedOffset = offset;
                loadedLength = length;
            }
        };
        if (dataset instanceof NumberedObjects numbered) {
            numbered.forEachNumberedExtent(sample, take); // no name made per look-up
        } else {
            dataset.forEachExtent(sample, (name, offset, length) -> take.accept(0, offset, length));
        }
        loadedId = id;
    }
}
