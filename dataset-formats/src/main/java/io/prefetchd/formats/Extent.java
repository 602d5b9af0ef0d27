package io.prefetchd.formats;

import static java.util.Objects.requireNonNull;

/**
 * A byte range of one object: {@code [offset, offset + length)} of {@code object}.
 *
 * @param object the object key
 * @param offset the first byte, from 0
 * @param length the number of bytes, at least 1
 */
public record Extent(String object, long offset, long length) {
    public Extent {
        requireNonNull(object, "object is null");
        if (offset < 0) {
            throw new IllegalArgumentException("offset is negative: " + offset);
        }
        if (length <= 0) {
            throw new IllegalArgumentException("length is not positive: " + length);
        }
    }

    /** The first byte after the extent. */
    public long end() {
        return offset + length;
    }
}
