package io.prefetchd.formats;

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
 * Nothing is built: the index answers by itself ({@link DatasetIndex#objectIndex}, a binary search over its keys;
 * {@link DatasetIndex#sampleAt}, a binary search over the object's samples), so a locator over a mapped 100 M-sample
 * index costs no heap. Immutable, thread-safe.
 */
public final class SampleLocator {
    /** What {@link #sampleAt} returns when no sample holds the byte. */
    public static final long NONE = -1;

    private final DatasetIndex index;

    private SampleLocator(DatasetIndex index) {
        this.index = index;
    }

    /** The locator of {@code index}'s samples. */
    public static SampleLocator of(DatasetIndex index) {
        return new SampleLocator(requireNonNull(index, "index is null"));
    }

    /**
     * The sample holding byte {@code offset} of object {@code key} at version {@code etag}, or {@link #NONE}.
     * An {@code etag} of {@code null} matches any version.
     */
    public long sampleAt(String key, String etag, long offset) {
        int o = objectOf(key, etag);
        return o < 0 ? NONE : index.sampleAt(o, offset);
    }

    /**
     * The number of object {@code key} in the index's {@link DatasetIndex#objects()} when the index holds it at
     * version {@code etag} ({@code null} matches any), else -1.
     */
    public int objectOf(String key, String etag) {
        int o = index.objectIndex(key);
        if (o < 0 || etag != null && !index.objects().get(o).etag().equals(etag)) {
            return -1;
        }
        return o;
    }
}
