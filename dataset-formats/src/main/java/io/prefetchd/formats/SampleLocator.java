package io.prefetchd.formats;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * The way back from a byte of an object to the sample that holds it: what a read trace needs to say which sample a
 * READ was part of.
 *
 * <h2>Rule</h2>
 * A byte belongs to the sample whose extent contains it; when several samples share an extent (rows of one Parquet
 * page), to the lowest-numbered of them. A byte no extent covers (a tar header, a Parquet footer), a byte of an
 * object the index does not hold, or of an object whose ETag is not the indexed one, belongs to none.
 *
 * <h2>Cost</h2>
 * Built once per index: every extent, sorted by (object, offset), as three flat arrays (20 bytes an extent); a
 * lookup is a hash of the key and a binary search. Immutable, thread-safe.
 */
public final class SampleLocator {
    /** What {@link #sampleAt} returns when no sample holds the byte. */
    public static final long NONE = -1;

    private final Map<String, Integer> objectByKey;
    private final String[] etags;
    /** Per object: the range [from[o], from[o+1]) of the sorted extent arrays. */
    private final int[] from;
    private final long[] starts;
    private final long[] ends;
    private final long[] samples;

    private SampleLocator(DatasetIndex index) {
        List<ObjectRef> objects = index.objects();
        int n = objects.size();
        objectByKey = new HashMap<>(n * 2);
        etags = new String[n];
        for (int o = 0; o < n; o++) {
            objectByKey.put(objects.get(o).key(), o);
            etags[o] = objects.get(o).etag();
        }
        long sampleCount = index.sampleCount();
        int[] counts = new int[n + 1];
        for (long s = 0; s < sampleCount; s++) {
            index.forEachExtent(s, (object, offset, length) -> counts[object + 1]++);
        }
        from = new int[n + 1];
        for (int o = 0; o < n; o++) {
            from[o + 1] = from[o] + counts[o + 1];
        }
        int total = from[n];
        starts = new long[total];
        ends = new long[total];
        samples = new long[total];
        int[] fill = Arrays.copyOf(from, n);
        for (long s = 0; s < sampleCount; s++) {
            long sample = s;
            index.forEachExtent(s, (object, offset, length) -> {
                int k = fill[object]++;
                starts[k] = offset;
                ends[k] = offset + length;
                samples[k] = sample;
            });
        }
        for (int o = 0; o < n; o++) {
            sortRun(from[o], from[o + 1]);
        }
    }

    /** The locator of {@code index}'s samples; O(extents · log extents). */
    public static SampleLocator of(DatasetIndex index) {
        return new SampleLocator(requireNonNull(index, "index is null"));
    }

    /**
     * The sample holding byte {@code offset} of object {@code key} at version {@code etag}, or {@link #NONE}.
     * An {@code etag} of {@code null} matches any version.
     */
    public long sampleAt(String key, String etag, long offset) {
        Integer o = objectByKey.get(key);
        if (o == null || etag != null && !etags[o].equals(etag)) {
            return NONE;
        }
        int lo = from[o];
        int hi = from[o + 1] - 1;
        int found = -1;
        while (lo <= hi) { // the last extent starting at or before offset
            int mid = (lo + hi) >>> 1;
            if (starts[mid] <= offset) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        if (found < 0) {
            return NONE;
        }
        while (found > from[o] && starts[found - 1] == starts[found]) {
            found--; // several samples share this extent: the first
        }
        return offset < ends[found] ? samples[found] : NONE;
    }

    /** Sorts the extents in [lo, hi) by (start, sample); most formats hand them over sorted already. */
    private void sortRun(int lo, int hi) {
        boolean sorted = true;
        for (int k = lo + 1; k < hi && sorted; k++) {
            sorted = starts[k] > starts[k - 1] || starts[k] == starts[k - 1] && samples[k] >= samples[k - 1];
        }
        if (sorted) {
            return;
        }
        long[] s = Arrays.copyOfRange(starts, lo, hi);
        long[] e = Arrays.copyOfRange(ends, lo, hi);
        long[] m = Arrays.copyOfRange(samples, lo, hi);
        Integer[] order = new Integer[hi - lo];
        for (int k = 0; k < order.length; k++) {
            order[k] = k;
        }
        Arrays.sort(order, (a, b) -> s[a] != s[b] ? Long.compare(s[a], s[b]) : Long.compare(m[a], m[b]));
        for (int k = 0; k < order.length; k++) {
            starts[lo + k] = s[order[k]];
            ends[lo + k] = e[order[k]];
            samples[lo + k] = m[order[k]];
        }
    }
}
