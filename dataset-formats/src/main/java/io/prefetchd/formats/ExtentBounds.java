package io.prefetchd.formats;

/**
 * Where an index's extents begin and end within each object, asked by neighbour: the sorted set of every extent's
 * start and end in object {@code object}, without materialising it. A block cache that cuts blocks at sample bounds
 * asks this instead of holding two offsets a sample. An index answers it from its own columns (a mapped index from
 * its file) in O(log samples of the object). Immutable; thread-safe.
 */
public interface ExtentBounds {
    /** What {@link #floor} returns when no bound is at or before the offset. */
    long NONE_BEFORE = -1;
    /** What {@link #higher} returns when no bound is after the offset. */
    long NONE_AFTER = Long.MAX_VALUE;

    /** The greatest extent start or end of {@code object} that is {@code <= pos}, or {@link #NONE_BEFORE}. */
    long floor(int object, long pos);

    /** The least extent start or end of {@code object} that is {@code > pos}, or {@link #NONE_AFTER}. */
    long higher(int object, long pos);
}
