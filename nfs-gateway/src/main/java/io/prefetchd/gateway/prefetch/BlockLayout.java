package io.prefetchd.gateway.prefetch;

import io.prefetchd.formats.DatasetIndex;
import io.prefetchd.formats.ObjectRef;
import io.prefetchd.gateway.cache.BlockBounds;
import io.prefetchd.gateway.cache.ExtentCache;
import io.prefetchd.gateway.cache.ObjectVersion;
import io.prefetchd.planner.Extent;
import io.prefetchd.planner.SampleExtents;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * A dataset index as the executor needs it: the planner's view of each sample in whole cache blocks, the object
 * version behind each planner object id, and the way back from an NFS READ (object key, offset) to the sample
 * that holds the byte.
 *
 * <h2>Why blocks</h2>
 * The cache stores, checksums and evicts whole blocks, so the planner must count what the disk holds: sample
 * {@code i} is given to the planner as the blocks its byte extents touch. The layout hands the cache every
 * extent's start and end ({@link #cutsOf}; {@code ExtentCache.cutAt}), so blocks end at grain lines and at those
 * offsets: a 100 KB tar member is its own one or two blocks, never a block shared with its neighbour (which
 * would make fetching one sample fetch part of the next). Blocks of one object are identical or disjoint (what
 * the planner requires); samples that share an extent (rows of one Parquet page) share its blocks, counted once.
 *
 * <h2>Reads to samples</h2>
 * Every sample extent, sorted by (object, offset). A READ maps to the sample whose extent contains its first byte
 * (the first such sample when several share an extent, as rows of one Parquet row group do).
 *
 * <p>Immutable after construction; built once per dataset in O(extents · log extents).
 */
final class BlockLayout {
    private final DatasetIndex index;
    private final int shift;
    private final long grain;
    private final String[] objectIds;
    private final ObjectVersion[] versions;
    private final Map<String, Integer> objectByKey;
    private final Map<String, Integer> objectById;
    /** Per object: the range [from[o], from[o+1]) of the sorted extent arrays. */
    private final int[] from;
    private final long[] starts;
    private final long[] ends;
    private final int[] samples;
    /** Per object: every extent start and end, sorted and distinct (where blocks end besides grain lines). */
    private final long[][] cuts;

    BlockLayout(DatasetIndex index, int grainBytes) {
        this.index = requireNonNull(index, "index is null");
        if (Integer.bitCount(grainBytes) != 1) {
            throw new IllegalArgumentException("grain must be a power of two: " + grainBytes);
        }
        if (index.sampleCount() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("the planner takes at most " + Integer.MAX_VALUE + " samples, not "
                    + index.sampleCount());
        }
        this.grain = grainBytes;
        this.shift = Integer.numberOfTrailingZeros(grainBytes);
        List<ObjectRef> objects = index.objects();
        int n = objects.size();
        objectIds = new String[n];
        versions = new ObjectVersion[n];
        objectByKey = new HashMap<>(n * 2);
        objectById = new HashMap<>(n * 2);
        for (int o = 0; o < n; o++) {
            ObjectRef ref = objects.get(o);
            objectIds[o] = objectId(ref.key(), ref.etag());
            versions[o] = new ObjectVersion(ref.key(), ref.etag(), ref.size());
            objectByKey.put(ref.key(), o);
            objectById.put(objectIds[o], o);
        }
        // count extents per object, then fill and sort each object's run by offset
        int sampleCount = (int) index.sampleCount();
        int[] counts = new int[n + 1];
        for (int s = 0; s < sampleCount; s++) {
            index.forEachExtent(s, (object, offset, length) -> counts[object + 1]++);
        }
        from = new int[n + 1];
        for (int o = 0; o < n; o++) {
            from[o + 1] = from[o] + counts[o + 1];
        }
        int total = from[n];
        long[] rawStarts = new long[total];
        long[] rawEnds = new long[total];
        int[] rawSamples = new int[total];
        int[] fill = Arrays.copyOf(from, n);
        for (int s = 0; s < sampleCount; s++) {
            int sample = s;
            index.forEachExtent(s, (object, offset, length) -> {
                int k = fill[object]++;
                rawStarts[k] = offset;
                rawEnds[k] = offset + length;
                rawSamples[k] = sample;
            });
        }
        starts = new long[total];
        ends = new long[total];
        samples = new int[total];
        cuts = new long[n][];
        for (int o = 0; o < n; o++) {
            sortRun(rawStarts, rawEnds, rawSamples, from[o], from[o + 1]);
            long size = versions[o].size();
            cuts[o] = java.util.stream.LongStream.concat(
                            Arrays.stream(starts, from[o], from[o + 1]), Arrays.stream(ends, from[o], from[o + 1]))
                    .filter(x -> x > 0 && x < size).sorted().distinct().toArray();
        }
    }

    /** Where blocks of {@code version} end besides grain lines: every extent's start and end, for the cache. */
    long[] cutsOf(ObjectVersion version) {
        Integer o = objectByKey.get(version.key());
        return o == null || !versions[o].equals(version) ? new long[0] : cuts[o].clone();
    }

    private long blockStart(int object, long pos) {
        return BlockBounds.start(cuts[object], shift, pos);
    }

    private long blockEnd(int object, long start) {
        return BlockBounds.end(cuts[object], shift, start, versions[object].size());
    }

    /** The planner extents (blocks) making up {@code [offset, offset + length)} of a planner object. */
    List<Extent> blocksIn(String objectId, long offset, long length) {
        Integer o = objectById.get(objectId);
        if (o == null || length <= 0) {
            return List.of();
        }
        List<Extent> out = new ArrayList<>();
        addBlocks(out, o, offset, length);
        return out;
    }

    /** The mean size of the blocks the samples occupy (file overhead per block is what the capacity loses). */
    long meanBlockBytes() {
        long blocks = 0;
        long bytes = 0;
        for (int o = 0; o < versions.length; o++) {
            long size = versions[o].size();
            for (long p = 0; p < size; p = blockEnd(o, p)) {
                blocks++;
            }
            bytes += size;
        }
        return blocks == 0 ? grain : Math.max(1, bytes / blocks);
    }

    /** Sorts one object's extents by (start, sample) into the final arrays. */
    private void sortRun(long[] rawStarts, long[] rawEnds, int[] rawSamples, int lo, int hi) {
        int len = hi - lo;
        boolean sorted = true;
        for (int k = 0; k < len; k++) {
            if (k > 0 && (rawStarts[lo + k] < rawStarts[lo + k - 1]
                    || rawStarts[lo + k] == rawStarts[lo + k - 1] && rawSamples[lo + k] < rawSamples[lo + k - 1])) {
                sorted = false;
            }
        }
        if (sorted) {
            System.arraycopy(rawStarts, lo, starts, lo, len);
            System.arraycopy(rawEnds, lo, ends, lo, len);
            System.arraycopy(rawSamples, lo, samples, lo, len);
            return;
        }
        Integer[] order = new Integer[len];
        for (int k = 0; k < len; k++) {
            order[k] = lo + k;
        }
        Arrays.sort(order, (a, b) -> rawStarts[a] != rawStarts[b] ? Long.compare(rawStarts[a], rawStarts[b])
                : Integer.compare(rawSamples[a], rawSamples[b]));
        for (int k = 0; k < len; k++) {
            starts[lo + k] = rawStarts[order[k]];
            ends[lo + k] = rawEnds[order[k]];
            samples[lo + k] = rawSamples[order[k]];
        }
    }

    /** The planner's name for one version of an object: key and ETag, so versions never share cache entries. */
    static String objectId(String key, String etag) {
        return key + "@\"" + etag + "\"";
    }

    DatasetIndex index() {
        return index;
    }

    int sampleCount() {
        return (int) index.sampleCount();
    }

    /** The samples with no bytes (zero-byte files): no READ ever maps to them. */
    java.util.BitSet emptySamples() {
        java.util.BitSet out = new java.util.BitSet(sampleCount());
        long[] bytes = new long[1];
        for (int s = 0; s < sampleCount(); s++) {
            bytes[0] = 0;
            index.forEachExtent(s, (object, offset, length) -> bytes[0] += length);
            if (bytes[0] == 0) {
                out.set(s);
            }
        }
        return out;
    }

    /** The dataset's bytes. */
    long totalBytes() {
        return index.totalBytes();
    }

    /** The object version behind a planner object id, or null when the id is not this dataset's. */
    ObjectVersion version(String objectId) {
        Integer o = objectById.get(objectId);
        return o == null ? null : versions[o];
    }

    List<ObjectVersion> versions() {
        return List.of(versions);
    }

    /**
     * The sample holding byte {@code offset} of {@code key} at version {@code etag}, or -1 when the dataset has
     * no such object, the object changed since it was indexed, or no sample covers the byte (a tar header).
     */
    int sampleAt(String key, String etag, long offset) {
        Integer o = objectByKey.get(key);
        if (o == null || !versions[o].etag().equals(etag)) {
            return -1;
        }
        int lo = from[o];
        int hi = from[o + 1] - 1;
        int found = -1;
        while (lo <= hi) { // last extent starting at or before offset
            int mid = (lo + hi) >>> 1;
            if (starts[mid] <= offset) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        if (found < 0) {
            return -1;
        }
        while (found > from[o] && starts[found - 1] == starts[found]) {
            found--; // several samples share this extent: the first
        }
        // an earlier, longer extent may cover offset when extents nest; extents of one format never do
        return offset < ends[found] ? samples[found] : -1;
    }

    /** True when {@code key} is one of the dataset's objects (any version). */
    boolean hasObject(String key) {
        return objectByKey.containsKey(key);
    }

    /** The block-granular view the planner plans with. */
    SampleExtents plannerView() {
        return new SampleExtents() {
            @Override
            public int sampleCount() {
                return BlockLayout.this.sampleCount();
            }

            @Override
            public List<Extent> extentsOf(int sample) {
                List<Extent> out = new ArrayList<>(4);
                index.forEachExtent(sample, (object, offset, length) -> addBlocks(out, object, offset, length));
                return out;
            }
        };
    }

    private void addBlocks(List<Extent> out, int object, long offset, long length) {
        if (length <= 0) {
            return;
        }
        long end = Math.min(versions[object].size(), offset + length);
        for (long p = blockStart(object, offset); p < end; ) {
            long q = blockEnd(object, p);
            Extent e = new Extent(objectIds[object], p, q - p);
            if (!out.contains(e)) {
                out.add(e);
            }
            p = q;
        }
    }

    /**
     * Planner extents of the blocks of {@code version} the cache holds now: those with this layout's bounds (a
     * block cached before the cuts were known may span two samples; the planner does not count it, and the cache
     * serves it while it lasts).
     */
    List<Extent> residentExtents(ObjectVersion version, List<ExtentCache.Range> cached) {
        Integer o = objectByKey.get(version.key());
        if (o == null || !versions[o].equals(version)) {
            return List.of();
        }
        List<Extent> out = new ArrayList<>(cached.size());
        for (ExtentCache.Range r : cached) {
            if (r.offset() < version.size() && blockStart(o, r.offset()) == r.offset()
                    && blockEnd(o, r.offset()) == r.offset() + r.length()) {
                out.add(new Extent(objectIds[o], r.offset(), r.length()));
            }
        }
        return out;
    }
}
