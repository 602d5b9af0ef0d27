package io.prefetchd.gateway.prefetch;

import io.prefetchd.formats.DatasetIndex;
import io.prefetchd.formats.ExtentBounds;
import io.prefetchd.formats.ObjectRef;
import io.prefetchd.formats.SampleLocator;
import io.prefetchd.gateway.cache.BlockBounds;
import io.prefetchd.gateway.cache.CutSet;
import io.prefetchd.gateway.cache.ExtentCache;
import io.prefetchd.gateway.cache.ObjectVersion;
import io.prefetchd.planner.Extent;
import io.prefetchd.planner.NumberedObjects;
import io.prefetchd.planner.SampleExtents;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

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
 * A READ maps to the sample whose extent contains its first byte (the first such sample when several share an
 * extent, as rows of one Parquet row group do): the index's own {@link SampleLocator}, which builds nothing.
 *
 * <h2>Nothing per sample or object</h2>
 * Object names, versions and block bounds are read from the index when asked (a mapped index answers from its file):
 * the bounds through {@link DatasetIndex#extentBounds()}, which the cache is given as views ({@link #cutAtSamples}),
 * so neither the layout nor the cache holds offsets per sample. Only an index that cannot answer for its bounds
 * (Parquet) has them collected here, once, in O(extents): its extents follow pages, not rows, so they are few.
 *
 * <p>Immutable after construction (the remembered last object id is an immutable value); thread-safe.
 */
final class BlockLayout {
    private final DatasetIndex index;
    private final int shift;
    private final long grain;
    private final SampleLocator locator;
    /** The index's own answer to where extents begin and end, or null when it has none (then {@link #cuts}). */
    private final @Nullable ExtentBounds bounds;
    /** Per object, every extent start and end inside it; only for an index without {@link #bounds}. */
    private final CutSet @Nullable [] cuts;
    /** The planner id of the object asked for last (a front-to-back walk asks for one object many times). */
    private volatile ObjectName lastName = new ObjectName(-1, "");

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
        this.locator = SampleLocator.of(index);
        this.bounds = index.extentBounds();
        this.cuts = bounds == null ? collectCuts(index) : null;
    }

    /** An object's planner id, remembered with its number. */
    private record ObjectName(int object, String id) {
    }

    /** Per object, every extent's start and end inside it, sorted and distinct: one pass over the samples. */
    private static CutSet[] collectCuts(DatasetIndex index) {
        List<ObjectRef> objects = index.objects();
        int n = objects.size();
        LongList[] found = new LongList[n];
        int sampleCount = (int) index.sampleCount();
        for (int s = 0; s < sampleCount; s++) {
            index.forEachExtent(s, (object, offset, length) -> {
                LongList b = found[object] == null ? found[object] = new LongList() : found[object];
                b.add(offset);
                b.add(offset + length);
            });
        }
        CutSet[] out = new CutSet[n];
        for (int o = 0; o < n; o++) {
            long size = objects.get(o).size();
            LongList b = found[o];
            out[o] = CutSet.of(b == null ? new long[0]
                    : Arrays.stream(b.toArray()).filter(x -> x > 0 && x < size).toArray());
        }
        return out;
    }

    /** A growable {@code long[]}; confined to the constructor. */
    private static final class LongList {
        private long[] a = new long[8];
        private int n;

        void add(long v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        long[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }

    /** The number of the object with planner id {@code objectId}, or -1. */
    private int objectOfId(String objectId) {
        int at = objectId.lastIndexOf("@\"");
        int o = at < 0 ? -1 : index.objectIndex(objectId.substring(0, at));
        return o >= 0 && objectId(o).equals(objectId) ? o : -1;
    }

    /** The planner id of object {@code object}: read from the index, the last one remembered. */
    private String objectId(int object) {
        ObjectName last = lastName;
        if (last.object() == object) {
            return last.id();
        }
        ObjectRef ref = index.objects().get(object);
        String id = objectId(ref.key(), ref.etag());
        lastName = new ObjectName(object, id);
        return id;
    }

    private ObjectVersion versionOf(int object) {
        ObjectRef ref = index.objects().get(object);
        return new ObjectVersion(ref.key(), ref.etag(), ref.size());
    }

    private long sizeOf(int object) {
        return index.objectSize(object);
    }

    /**
     * Where blocks of {@code version} end besides grain lines (every extent's start and end), for the cache: a view
     * of the index when it answers by itself, so the cache holds nothing per sample; empty for another version.
     */
    CutSet cutsOf(ObjectVersion version) {
        int o = index.objectIndex(version.key());
        return o < 0 || !versionOf(o).equals(version) ? CutSet.of() : cutsOf(o);
    }

    private CutSet cutsOf(int object) {
        return bounds != null ? new IndexCuts(index, bounds, object)
                : requireNonNull(cuts, "cuts without bounds")[object];
    }

    /** True when some extent of {@code object} begins or ends strictly inside it (else blocks need no cut). */
    private boolean hasInnerCuts(int object) {
        return cutsOf(object).higher(0) < sizeOf(object);
    }

    /** Tells {@code cache} where this dataset's samples begin and end, for the objects that have such bounds. */
    void cutAtSamples(ExtentCache cache) {
        int n = index.objects().size();
        for (int o = 0; o < n; o++) {
            if (hasInnerCuts(o)) {
                cache.cutAt(versionOf(o), cutsOf(o));
            }
        }
    }

    /**
     * One object's cuts as a view of the index's {@link ExtentBounds}. Two views of the same object version built
     * from the same dataset spec are equal: an index is a function of its spec and its objects' versions, so a
     * re-indexed dataset's views replace the earlier ones in the cache instead of piling up.
     */
    private static final class IndexCuts implements CutSet {
        private final DatasetIndex index;
        private final ExtentBounds bounds;
        private final int object;

        IndexCuts(DatasetIndex index, ExtentBounds bounds, int object) {
            this.index = index;
            this.bounds = bounds;
            this.object = object;
        }

        private ObjectRef ref() {
            return index.objects().get(object);
        }

        @Override
        public long floor(long pos) {
            return bounds.floor(object, pos);
        }

        @Override
        public long higher(long pos) {
            return bounds.higher(object, pos);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof IndexCuts c && c.index.spec().equals(index.spec()) && c.ref().equals(ref());
        }

        @Override
        public int hashCode() {
            return index.spec().hashCode() * 31 + ref().hashCode();
        }
    }

    private long blockStart(int object, long pos) {
        return BlockBounds.start(cutsOf(object), shift, pos);
    }

    private long blockEnd(int object, long start) {
        return BlockBounds.end(cutsOf(object), shift, start, sizeOf(object));
    }

    /** The planner extents (blocks) making up {@code [offset, offset + length)} of a planner object. */
    List<Extent> blocksIn(String objectId, long offset, long length) {
        int o = objectOfId(objectId);
        if (o < 0 || length <= 0) {
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
        int n = index.objects().size();
        for (int o = 0; o < n; o++) {
            long size = sizeOf(o);
            for (long p = 0; p < size; p = blockEnd(o, p)) {
                blocks++;
            }
            bytes += size;
        }
        return blocks == 0 ? grain : Math.max(1, bytes / blocks);
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
    @Nullable ObjectVersion version(String objectId) {
        int o = objectOfId(objectId);
        return o < 0 ? null : versionOf(o);
    }

    /** The dataset's object versions, read from the index as they are asked for (nothing held per object). */
    List<ObjectVersion> versions() {
        int n = index.objects().size();
        return new java.util.AbstractList<>() {
            @Override
            public ObjectVersion get(int o) {
                return versionOf(o);
            }

            @Override
            public int size() {
                return n;
            }
        };
    }

    /**
     * The sample holding byte {@code offset} of {@code key} at version {@code etag}, or -1 when the dataset has
     * no such object, the object changed since it was indexed, or no sample covers the byte (a tar header).
     */
    int sampleAt(String key, String etag, long offset) {
        return etag == null ? -1 : (int) locator.sampleAt(key, etag, offset);
    }

    /** True when {@code key} is one of the dataset's objects (any version). */
    boolean hasObject(String key) {
        return index.objectIndex(key) >= 0;
    }

    /**
     * The block-granular view the planner plans with. It numbers objects as the index does, so a planner keeps no
     * name per object (a file-per-sample folder would otherwise cost a name per sample): a name is read from the
     * index when the planner asks for one, and found by the index's binary search over its keys.
     */
    SampleExtents plannerView() {
        return new NumberedObjects() {
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

            @Override
            public void forEachExtent(int sample, ExtentVisitor visitor) {
                index.forEachExtent(sample, new BlockWalk((object, offset, length) ->
                        visitor.accept(objectId(object), offset, length)));
            }

            @Override
            public void forEachNumberedExtent(int sample, NumberedVisitor visitor) {
                index.forEachExtent(sample, new BlockWalk(visitor));
            }

            @Override
            public int objectCount() {
                return index.objects().size();
            }

            @Override
            public String objectName(int object) {
                return objectId(object);
            }

            @Override
            public int objectNumber(String name) {
                return objectOfId(name);
            }
        };
    }

    /**
     * Where the block of an extent's byte {@code p} ends: at the next grain line or the extent's {@code end}. An
     * extent's start and end are cuts and no other cut lies inside it (extents of one object are identical or
     * disjoint), so a sample's blocks need no look-up of the cuts; this is {@link #blockEnd} without the search.
     */
    private long nextBlock(long p, long end) {
        return Math.min(end, ((p >>> shift) + 1) << shift);
    }

    /** Hands one sample's blocks to a visitor, each once, with no record per block. */
    private final class BlockWalk implements io.prefetchd.formats.ExtentSink {
        private final NumberedObjects.NumberedVisitor visitor;
        private int[] objects = new int[4];
        private long[] starts = new long[4];
        private int n;

        BlockWalk(NumberedObjects.NumberedVisitor visitor) {
            this.visitor = visitor;
        }

        @Override
        public void accept(int object, long offset, long length) {
            if (length <= 0) {
                return;
            }
            long end = Math.min(sizeOf(object), offset + length);
            for (long p = offset; p < end; ) {
                long q = nextBlock(p, end);
                if (!seen(object, p)) {
                    visitor.accept(object, p, q - p);
                }
                p = q;
            }
        }

        private boolean seen(int object, long start) {
            for (int i = 0; i < n; i++) {
                if (objects[i] == object && starts[i] == start) {
                    return true;
                }
            }
            if (n == objects.length) {
                objects = Arrays.copyOf(objects, n * 2);
                starts = Arrays.copyOf(starts, n * 2);
            }
            objects[n] = object;
            starts[n++] = start;
            return false;
        }
    }

    private void addBlocks(List<Extent> out, int object, long offset, long length) {
        if (length <= 0) {
            return;
        }
        long end = Math.min(sizeOf(object), offset + length);
        for (long p = offset; p < end; ) {
            long q = nextBlock(p, end);
            Extent e = new Extent(objectId(object), p, q - p);
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
        int o = index.objectIndex(version.key());
        if (o < 0 || !versionOf(o).equals(version)) {
            return List.of();
        }
        List<Extent> out = new ArrayList<>(cached.size());
        for (ExtentCache.Range r : cached) {
            if (r.offset() < version.size() && blockStart(o, r.offset()) == r.offset()
                    && blockEnd(o, r.offset()) == r.offset() + r.length()) {
                out.add(new Extent(objectId(o), r.offset(), r.length()));
            }
        }
        return out;
    }
}
