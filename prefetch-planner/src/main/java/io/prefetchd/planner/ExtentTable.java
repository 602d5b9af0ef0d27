package io.prefetchd.planner;

/**
 * The dataset as dense integer ids, so that the engine works on ids and primitive arrays instead of records.
 *
 * <p>Every distinct extent has an id, in order of first use; each object's extents are chained in offset order
 * ({@link #next}/{@link #prev}) so that coalescing and sequential read-ahead walk neighbours in O(1); a sample's
 * extent ids are {@code extentAt(i)} for {@code i} in {@code [extentsStart, extentsEnd)}, and the samples that read
 * an extent are {@code ownerAt(i)} for {@code i} in {@code [ownersStart, ownersEnd)} (which is how an extent's next
 * use is found from a sample order).
 *
 * <p>Two shapes ({@link #of} picks): {@link OrderedExtentTable} when every sample reads extents of its own and the
 * samples read the objects front to back in dataset order (WebDataset shards, file-per-sample folders, and the
 * gateway's block views of them), which keeps nothing per extent and reads offsets and lengths from the dataset
 * when asked; {@link InternedExtentTable} otherwise (shared Parquet column chunks, shuffled listings), which copies
 * every extent into arrays. Both give the same ids and answers for the same dataset.
 */
abstract class ExtentTable {

    static ExtentTable of(SampleExtents dataset) {
        ExtentTable ordered = OrderedExtentTable.tryOf(dataset);
        return ordered != null ? ordered : new InternedExtentTable(dataset);
    }

    abstract int sampleCount();

    abstract int extentCount();

    /** Bytes of the distinct extents. */
    abstract long datasetBytes();

    /** Bytes of all samples together: an extent read by several samples counts once for each. */
    abstract long readBytes();

    abstract int objectOf(int extent);

    abstract String objectName(int object);

    abstract long offset(int extent);

    abstract long length(int extent);

    /** Next extent of the same object by offset, or -1. */
    abstract int next(int extent);

    /** Previous extent of the same object by offset, or -1. */
    abstract int prev(int extent);

    abstract int extentsStart(int sample);

    abstract int extentsEnd(int sample);

    abstract int extentAt(int index);

    abstract int ownersStart(int extent);

    abstract int ownersEnd(int extent);

    abstract int ownerAt(int index);

    abstract long sampleBytes(int sample);

    /** The id of {@code e}, or -1 when the dataset does not read it. O(log extents of its object). */
    abstract int idOf(Extent e);

    final long end(int extent) {
        return offset(extent) + length(extent);
    }

    final Extent extent(int id) {
        return new Extent(objectName(objectOf(id)), offset(id), length(id));
    }

    final void checkSample(int sample) {
        if (sample < 0 || sample >= sampleCount()) {
            throw new IllegalArgumentException("sample " + sample + " does not exist (the dataset has "
                    + sampleCount() + " samples)");
        }
    }

    final String prefixOf(int extent) {
        String name = objectName(objectOf(extent));
        int slash = name.lastIndexOf('/');
        return slash < 0 ? "" : name.substring(0, slash + 1);
    }
}
