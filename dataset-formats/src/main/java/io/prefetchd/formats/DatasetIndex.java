package io.prefetchd.formats;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Which bytes each sample of a dataset is: sample {@code i} (0-based, in the order the dataset's reader yields
 * samples) maps to one or more extents of the dataset's objects.
 *
 * <p>An index is an immutable value, safe to share between threads. It is valid for the object versions in
 * {@link #objects()} (key, size and ETag); {@link DatasetIndexer#refresh} makes a new one when they change.
 */
public interface DatasetIndex {

    /** What was indexed. */
    DatasetSpec spec();

    /** Number of samples. */
    long sampleCount();

    /**
     * The sample's name: the WebDataset key, the object key for file-per-sample datasets, and
     * {@code <object>#<row in file>} for Parquet.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= sample < sampleCount()}
     */
    String key(long sample);

    /**
     * Hands the sample's extents to {@code sink} in a fixed order (by object, then offset for tar and file
     * samples; by column, then offset for Parquet). Allocates nothing.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= sample < sampleCount()}
     */
    void forEachExtent(long sample, ExtentSink sink);

    /** The sample's extents, in {@link #forEachExtent} order. */
    default List<Extent> extents(long sample) {
        List<Extent> out = new ArrayList<>(4);
        forEachExtent(sample, (object, offset, length) -> out.add(new Extent(objectKey(object), offset, length)));
        return out;
    }

    /** Sum of the lengths of the sample's extents: the bytes a reader fetches to get it. */
    default long sampleBytes(long sample) {
        long[] sum = {0};
        forEachExtent(sample, (object, offset, length) -> sum[0] += length);
        return sum[0];
    }

    /** The object versions the index was built from, in dataset order. Every extent lies in one of them. */
    List<ObjectRef> objects();

    /** The key of {@code objects().get(object)}, without materialising the list element. */
    default String objectKey(int object) {
        return objects().get(object).key();
    }

    /** The size of {@code objects().get(object)}, without materialising the list element. */
    default long objectSize(int object) {
        return objects().get(object).size();
    }

    /** The number of the object with {@code key} in {@link #objects()}, or -1 when the index has none. */
    default int objectIndex(String key) {
        List<ObjectRef> objects = objects();
        for (int o = 0; o < objects.size(); o++) {
            if (objects.get(o).key().equals(key)) {
                return o;
            }
        }
        return -1;
    }

    /**
     * The sample holding byte {@code offset} of object {@code object}: the one whose extent contains it, the
     * lowest-numbered when several samples share that extent (rows of one Parquet page); -1 when no extent
     * covers the byte (a tar header, a Parquet footer). The indexes of this module answer in O(log n) without
     * building anything; this default scans every sample.
     */
    default long sampleAt(int object, long offset) {
        long[] found = {-1};
        for (long s = 0; s < sampleCount() && found[0] < 0; s++) {
            long sample = s;
            forEachExtent(s, (o, off, len) -> {
                if (o == object && off <= offset && offset < off + len && found[0] < 0) {
                    found[0] = sample;
                }
            });
        }
        return found[0];
    }

    /**
     * Where each object's extents begin and end, answered from the index's own columns; null when the index
     * cannot answer without a pass over every sample (then a caller that needs the bounds collects them once).
     * The indexes of this module answer for WebDataset and file-per-sample datasets, whose extents within an
     * object are disjoint and in sample order.
     */
    default @Nullable ExtentBounds extentBounds() {
        return null;
    }

    /** Sum of the sizes of {@link #objects()}: the dataset's bytes. */
    long totalBytes();

    /**
     * An estimate of the heap the index holds, in bytes (arrays and their headers; not counting the JVM's). An
     * index loaded from an {@link IndexStore} is mapped from its file and holds next to nothing per sample.
     */
    long estimatedMemoryBytes();
}
