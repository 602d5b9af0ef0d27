package io.prefetchd.planner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * when asked (a mapped index answers from its file). What is kept: the start of each object's run, its name, and the
 * sample starts when some sample is not exactly one extent (about a byte a sample: {@link SampleStarts}). The last
 * extent read back is remembered, since the engine asks for the offset and the length of one extent in a row.
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
    /** Where each object's run of ids starts (and one past the last). */
    private final int[] objectStart;
    private final String[] objectNames;
    private final Map<String, Integer> objectIds;

    private int loadedId = -1;
    private long loadedOffset;
    private long loadedLength;

    private OrderedExtentTable(SampleExtents dataset, Scan scan) {
        this.dataset = dataset;
        this.sampleCount = dataset.sampleCount();
        this.extentCount = scan.count;
        this.datasetBytes = scan.bytes;
        int[] starts = scan.sampleStart;
        this.sampleStart = starts == null ? null : SampleStarts.of(starts, sampleCount);
        this.objectStart = Arrays.copyOf(scan.objectStart, scan.names.size() + 1);
        this.objectStart[scan.names.size()] = scan.count;
        this.objectNames = scan.names.toArray(new String[0]);
        this.objectIds = scan.ids;
    }

    /** The table of {@code dataset} if it is read front to back, else null (the general table takes it). */
    static @Nullable OrderedExtentTable tryOf(SampleExtents dataset) {
        int n = dataset.sampleCount();
        if (n < 0) {
            return null;
        }
        Scan scan = new Scan(n);
        for (int s = 0; s < n && scan.ok; s++) {
            int before = scan.count;
            dataset.forEachExtent(s, scan);
            scan.endSample(s, before);
        }
        return scan.ok ? new OrderedExtentTable(dataset, scan) : null;
    }

    /** One pass over the dataset, checking the shape and counting; gives up at the first extent that breaks it. */
    private static final class Scan implements SampleExtents.ExtentVisitor {
        final int samples;
        final Map<String, Integer> ids = new HashMap<>();
        final List<String> names = new ArrayList<>();
        int[] objectStart = new int[16];
        int @Nullable [] sampleStart;
        boolean ok = true;
        int count;
        long bytes;
        int object = -1;
        long end;

        Scan(int samples) {
            this.samples = samples;
        }

        @Override
        public void accept(String name, long offset, long length) {
            if (!ok) {
                return;
            }
            if (name == null || offset < 0 || length <= 0 || offset + length < 0 || count == Integer.MAX_VALUE - 16) {
                ok = false; // the general table names the error
                return;
            }
            Integer o = ids.get(name);
            if (o == null) {
                o = names.size();
                ids.put(name, o);
                names.add(name);
                if (o + 1 >= objectStart.length) {
                    objectStart = Arrays.copyOf(objectStart, objectStart.length * 2);
                }
                objectStart[o] = count;
            } else if (o != object || offset < end) {
                ok = false; // an object read again later, or not front to back
                return;
            }
            object = o;
            end = offset + length;
            bytes += length;
            count++;
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
        return upperBound(objectStart, objectNames.length, extent) - 1;
    }

    @Override
    String objectName(int object) {
        return objectNames[object];
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
        return extent + 1 < objectStart[objectOf(extent) + 1] ? extent + 1 : -1;
    }

    @Override
    int prev(int extent) {
        return extent > objectStart[objectOf(extent)] ? extent - 1 : -1;
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
        Integer o = objectIds.get(e.object());
        if (o == null) {
            return -1;
        }
        int lo = objectStart[o];
        int hi = objectStart[o + 1] - 1;
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

    /** The first {@code i} in {@code [0, n]} with {@code a[i] > key} ({@code a} non-decreasing). */
    private static int upperBound(int[] a, int n, int key) {
        int lo = 0;
        int hi = n;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] <= key) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
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
        dataset.forEachExtent(sample, (name, offset, length) -> {
            if (k[0]-- == 0) {
                loadedOffset = offset;
                loadedLength = length;
            }
        });
        loadedId = id;
    }
}
