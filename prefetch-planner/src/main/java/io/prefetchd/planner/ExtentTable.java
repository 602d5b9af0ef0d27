package io.prefetchd.planner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The dataset interned into dense integer ids, so that the engine works on arrays instead of records.
 *
 * <p>Every distinct {@link Extent} gets an id; each object's extents are chained in offset order
 * ({@link #next}/{@link #prev}) so that coalescing and sequential read-ahead walk neighbours in O(1); samples map to
 * extent ids and extents back to the samples that read them (CSR arrays), which is how an extent's next use is found
 * from a sample order. Building checks that extents of one object are identical or disjoint and names the offending
 * sample otherwise.
 *
 * <p>Immutable after construction; safe to share between threads.
 */
final class ExtentTable {
    final int sampleCount;
    final int extentCount;
    final String[] objectNames;
    final int[] objectOf;
    final long[] offset;
    final long[] length;
    /** Next/previous extent of the same object by offset, or -1. */
    final int[] next;
    final int[] prev;
    private final int[] sampleStart;
    private final int[] sampleExtents;
    private final int[] ownerStart;
    private final int[] owners;
    private final int[] ownerEnd;
    private final long[] sampleBytes;
    final long datasetBytes;
    private final Map<Extent, Integer> ids;
    private final Extent[] extents;

    private ExtentTable(SampleExtents dataset) {
        sampleCount = dataset.sampleCount();
        if (sampleCount < 0) {
            throw new IllegalArgumentException("negative sample count " + sampleCount);
        }
        ids = new HashMap<>();
        List<Extent> byId = new ArrayList<>();
        Map<String, Integer> objectIds = new HashMap<>();
        List<String> names = new ArrayList<>();
        sampleStart = new int[sampleCount + 1];
        int[] flat = new int[Math.max(16, sampleCount)];
        int n = 0;
        int[] firstSample = new int[16];
        for (int s = 0; s < sampleCount; s++) {
            List<Extent> list = dataset.extentsOf(s);
            if (list == null) {
                throw new IllegalArgumentException("sample " + s + " has a null extent list");
            }
            for (Extent e : list) {
                Integer id = ids.get(e);
                if (id == null) {
                    id = byId.size();
                    ids.put(e, id);
                    byId.add(e);
                    objectIds.computeIfAbsent(e.object(), k -> {
                        names.add(k);
                        return names.size() - 1;
                    });
                    if (id >= firstSample.length) {
                        firstSample = Arrays.copyOf(firstSample, firstSample.length * 2);
                    }
                    firstSample[id] = s;
                }
                if (n == flat.length) {
                    flat = Arrays.copyOf(flat, flat.length * 2);
                }
                flat[n++] = id;
            }
            sampleStart[s + 1] = n;
        }
        sampleExtents = Arrays.copyOf(flat, n);
        extentCount = byId.size();
        extents = byId.toArray(new Extent[0]);
        objectNames = names.toArray(new String[0]);
        objectOf = new int[extentCount];
        offset = new long[extentCount];
        length = new long[extentCount];
        long total = 0;
        for (int i = 0; i < extentCount; i++) {
            Extent e = extents[i];
            objectOf[i] = objectIds.get(e.object());
            offset[i] = e.offset();
            length[i] = e.length();
            total += e.length();
        }
        datasetBytes = total;

        // chain each object's extents in offset order and reject partial overlaps
        next = new int[extentCount];
        prev = new int[extentCount];
        Arrays.fill(next, -1);
        Arrays.fill(prev, -1);
        Integer[] order = new Integer[extentCount];
        for (int i = 0; i < extentCount; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> objectOf[a] != objectOf[b] ? Integer.compare(objectOf[a], objectOf[b])
                : Long.compare(offset[a], offset[b]));
        for (int k = 1; k < extentCount; k++) {
            int a = order[k - 1];
            int b = order[k];
            if (objectOf[a] != objectOf[b]) {
                continue;
            }
            if (offset[a] + length[a] > offset[b]) {
                throw new IllegalArgumentException("extents " + extents[a] + " (sample " + firstSample[a] + ") and "
                        + extents[b] + " (sample " + firstSample[b]
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
        ownerEnd = fill; // a sample that lists one extent twice owns it once; the spare slot is skipped
    }

    static ExtentTable of(SampleExtents dataset) {
        return new ExtentTable(dataset);
    }

    int extentsStart(int sample) {
        return sampleStart[sample];
    }

    int extentsEnd(int sample) {
        return sampleStart[sample + 1];
    }

    int extentAt(int index) {
        return sampleExtents[index];
    }

    int ownersStart(int extent) {
        return ownerStart[extent];
    }

    int ownersEnd(int extent) {
        return ownerEnd[extent];
    }

    int ownerAt(int index) {
        return owners[index];
    }

    long sampleBytes(int sample) {
        return sampleBytes[sample];
    }

    long end(int extent) {
        return offset[extent] + length[extent];
    }

    Extent extent(int id) {
        return extents[id];
    }

    /** The id of {@code e}, or -1 when the dataset does not read it. */
    int idOf(Extent e) {
        Integer id = ids.get(e);
        return id == null ? -1 : id;
    }

    void checkSample(int sample) {
        if (sample < 0 || sample >= sampleCount) {
            throw new IllegalArgumentException("sample " + sample + " does not exist (the dataset has "
                    + sampleCount + " samples)");
        }
    }

    String prefixOf(int extent) {
        String name = objectNames[objectOf[extent]];
        int slash = name.lastIndexOf('/');
        return slash < 0 ? "" : name.substring(0, slash + 1);
    }
}
