package io.prefetchd.planner;

import io.prefetchd.formats.IntArrays;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * The general {@link ExtentTable}: every extent interned into arrays, for datasets whose samples share extents
 * (rows of one Parquet row group) or read objects out of order.
 *
 * <p>Every distinct extent gets an id, in order of first use; each object's extents are chained in offset order
 * ({@link #next}/{@link #prev}) so that coalescing and sequential read-ahead walk neighbours in O(1); samples map to
 * extent ids and extents back to the samples that read them (CSR arrays), which is how an extent's next use is found
 * from a sample order. Building checks that extents of one object are identical or disjoint and names the offending
 * sample otherwise.
 *
 * <p>Nothing per extent is an object: the dataset is read through {@link SampleExtents#forEachExtent}, identical
 * extents are found by sorting their occurrences, and {@link #idOf} is a binary search among the extents of one
 * object; {@link #extent} makes the record when one is asked for. About 60 bytes an extent, in arrays.
 *
 * <p>Immutable after construction; safe to share between threads.
 */
final class InternedExtentTable extends ExtentTable {
    private final int sampleCount;
    private final int extentCount;
    private final long datasetBytes;
    private final long readBytes;
    private final String[] objectNames;
    private final int[] objectOf;
    private final long[] offset;
    private final long[] length;
    /** Next/previous extent of the same object by offset, or -1. */
    private final int[] next;
    private final int[] prev;
    private final int[] sampleStart;
    private final int[] sampleExtents;
    private final int[] ownerStart;
    private final int[] owners;
    private final int[] ownerEnd;
    private final long[] sampleBytes;
    private final Map<String, Integer> objectIds;
    /** Extent ids by (object, offset), and where each object's run of them starts. */
    private final int[] byObject;
    private final int[] objectStart;

    InternedExtentTable(SampleExtents dataset) {
        sampleCount = dataset.sampleCount();
        if (sampleCount < 0) {
            throw new IllegalArgumentException("negative sample count " + sampleCount);
        }
        // every occurrence (sample, extent) in sample order, the object as a dense id
        objectIds = new HashMap<>();
        List<String> names = new ArrayList<>();
        sampleStart = new int[sampleCount + 1];
        Occurrences occ = new Occurrences(Math.max(16, sampleCount));
        for (int s = 0; s < sampleCount; s++) {
            dataset.forEachExtent(s, (object, off, len) -> {
                Integer o = objectIds.get(requireNonNull(object, "object is null"));
                if (o == null) {
                    o = names.size();
                    objectIds.put(object, o);
                    names.add(object);
                }
                occ.add(o, off, len);
            });
            sampleStart[s + 1] = occ.n;
        }
        int n = occ.n;
        objectNames = names.toArray(new String[0]);
        // sort occurrences by (object, offset, length, first use): equal neighbours are one extent
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        if (!occ.sorted(order)) {
            IntArrays.mergeSort(order, occ::compare);
        }
        int[] extentOfOcc = new int[n];
        int groups = 0;
        long[] firstUse = new long[Math.max(1, n)]; // (first occurrence << 32) | group, to number groups by first use
        for (int k = 0; k < n; k++) {
            int i = order[k];
            if (k == 0 || !occ.same(order[k - 1], i)) {
                firstUse[groups] = ((long) i << 32) | groups;
                groups++;
            }
            extentOfOcc[i] = groups - 1;
        }
        extentCount = groups;
        long[] byFirstUse = Arrays.copyOf(firstUse, groups);
        Arrays.sort(byFirstUse);
        int[] idOfGroup = new int[groups];
        for (int id = 0; id < groups; id++) {
            idOfGroup[(int) byFirstUse[id]] = id;
        }
        objectOf = new int[extentCount];
        offset = new long[extentCount];
        length = new long[extentCount];
        byObject = new int[extentCount];
        int[] groupFirstOcc = new int[extentCount];
        for (int g = 0; g < groups; g++) {
            groupFirstOcc[g] = (int) (firstUse[g] >>> 32);
        }
        long total = 0;
        for (int g = 0; g < groups; g++) {
            int i = groupFirstOcc[g];
            int id = idOfGroup[g];
            objectOf[id] = occ.object[i];
            offset[id] = occ.offset[i];
            length[id] = occ.length[i];
            byObject[g] = id; // groups are in (object, offset) order
            total += occ.length[i];
        }
        datasetBytes = total;
        sampleExtents = new int[n];
        for (int i = 0; i < n; i++) {
            sampleExtents[i] = idOfGroup[extentOfOcc[i]];
        }
        objectStart = new int[objectNames.length + 1];
        for (int g = 0; g < groups; g++) {
            objectStart[objectOf[byObject[g]] + 1]++;
        }
        for (int o = 0; o < objectNames.length; o++) {
            objectStart[o + 1] += objectStart[o];
        }

        // chain each object's extents in offset order and reject partial overlaps
        next = new int[extentCount];
        prev = new int[extentCount];
        Arrays.fill(next, -1);
        Arrays.fill(prev, -1);
        for (int k = 1; k < extentCount; k++) {
            int a = byObject[k - 1];
            int b = byObject[k];
            if (objectOf[a] != objectOf[b]) {
                continue;
            }
            if (offset[a] + length[a] > offset[b]) {
                throw new IllegalArgumentException("extents " + extent(a) + " (sample " + sampleOf(groupFirstOcc[k - 1])
                        + ") and " + extent(b) + " (sample " + sampleOf(groupFirstOcc[k])
                        + ") overlap; extents of one object must be identical or disjoint");
            }
            next[a] = b;
            prev[b] = a;
        }

        // owners: extent -> samples that read it
        ownerStart = new int[extentCount + 1];
        for (int i = 0; i < n; i++) {
            ownerStart[sampleExtents[i] + 1]++;
        }
        for (int i = 0; i < extentCount; i++) {
            ownerStart[i + 1] += ownerStart[i];
        }
        owners = new int[n];
        int[] fill = Arrays.copyOf(ownerStart, extentCount);
        sampleBytes = new long[sampleCount];
        for (int s = 0; s < sampleCount; s++) {
            for (int i = sampleStart[s]; i < sampleStart[s + 1]; i++) {
                int e = sampleExtents[i];
                // a sample listing one extent twice owns it once
                if (fill[e] == ownerStart[e] || owners[fill[e] - 1] != s) {
                    owners[fill[e]++] = s;
                }
                sampleBytes[s] += length[e];
            }
        }
        long read = 0;
        for (long b : sampleBytes) {
            read += b;
        }
        readBytes = read;
        ownerEnd = fill; // a sample that lists one extent twice owns it once; the spare slot is skipped
    }

    /** The sample of occurrence {@code i}. */
    private int sampleOf(int i) {
        int s = Arrays.binarySearch(sampleStart, i);
        if (s < 0) {
            return -s - 2;
        }
        while (s + 1 < sampleStart.length && sampleStart[s + 1] == i) {
            s++; // samples without extents
        }
        return s;
    }

    /** Extent occurrences in three growable columns; confined to the constructor. */
    private static final class Occurrences {
        int[] object;
        long[] offset;
        long[] length;
        int n;

        Occurrences(int capacity) {
            object = new int[capacity];
            offset = new long[capacity];
            length = new long[capacity];
        }

        void add(int o, long off, long len) {
            if (n == object.length) {
                int c = (int) Math.min(Integer.MAX_VALUE - 16, n * 2L);
                if (c == n) {
                    throw new IllegalArgumentException("more than " + n + " extents");
                }
                object = Arrays.copyOf(object, c);
                offset = Arrays.copyOf(offset, c);
                length = Arrays.copyOf(length, c);
            }
            if (off < 0 || len <= 0 || off + len < 0) {
                throw new IllegalArgumentException("bad extent at offset " + off + ", length " + len);
            }
            object[n] = o;
            offset[n] = off;
            length[n] = len;
            n++;
        }

        int compare(int a, int b) {
            int c = Integer.compare(object[a], object[b]);
            if (c == 0) {
                c = Long.compare(offset[a], offset[b]);
            }
            if (c == 0) {
                c = Long.compare(length[a], length[b]);
            }
            return c != 0 ? c : Integer.compare(a, b);
        }

        boolean same(int a, int b) {
            return object[a] == object[b] && offset[a] == offset[b] && length[a] == length[b];
        }

        boolean sorted(int[] order) {
            for (int k = 1; k < order.length; k++) {
                if (compare(order[k - 1], order[k]) > 0) {
                    return false;
                }
            }
            return true;
        }
    }

    @Override
    int extentsStart(int sample) {
        return sampleStart[sample];
    }

    @Override
    int extentsEnd(int sample) {
        return sampleStart[sample + 1];
    }

    @Override
    int extentAt(int index) {
        return sampleExtents[index];
    }

    @Override
    int ownersStart(int extent) {
        return ownerStart[extent];
    }

    @Override
    int ownersEnd(int extent) {
        return ownerEnd[extent];
    }

    @Override
    int ownerAt(int index) {
        return owners[index];
    }

    @Override
    long sampleBytes(int sample) {
        return sampleBytes[sample];
    }

    /** The id of {@code e}, or -1 when the dataset does not read it. O(log extents of its object). */
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
            int id = byObject[mid];
            if (offset[id] < e.offset()) {
                lo = mid + 1;
            } else if (offset[id] > e.offset()) {
                hi = mid - 1;
            } else {
                return length[id] == e.length() ? id : -1;
            }
        }
        return -1;
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
        return readBytes;
    }

    @Override
    int objectOf(int extent) {
        return objectOf[extent];
    }

    @Override
    String objectName(int object) {
        return objectNames[object];
    }

    @Override
    long offset(int extent) {
        return offset[extent];
    }

    @Override
    long length(int extent) {
        return length[extent];
    }

    @Override
    int next(int extent) {
        return next[extent];
    }

    @Override
    int prev(int extent) {
        return prev[extent];
    }
}
