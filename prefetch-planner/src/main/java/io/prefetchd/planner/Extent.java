package io.prefetchd.planner;

import static java.util.Objects.requireNonNull;

/**
 * A byte range of one object: the unit the planner caches, fetches and evicts.
 *
 * <p>{@code object} is an opaque identity chosen by the caller. The gateway should use the key <em>and</em> the
 * ETag it opened (for example {@code "train/shard-00001.tar@\"9b2cf535f27731c974343645a3985328\""}) so that a
 * changed object never shares cache entries with its previous version (STYLE rule 6); the planner only compares
 * these strings for equality and takes the S3 prefix for request-rate caps from the text before the last {@code '/'}.
 */
public record Extent(String object, long offset, long length) {
    public Extent {
        requireNonNull(object, "object is null");
        if (offset < 0) {
            throw new IllegalArgumentException("offset is negative: " + offset + " in " + object);
        }
        if (length <= 0) {
            throw new IllegalArgumentException("length must be positive: " + length + " at " + object + "@" + offset);
        }
        if (offset + length < 0) {
            throw new IllegalArgumentException("extent overflows: " + object + "@" + offset + "+" + length);
        }
    }

    /** One past the last byte. */
    public long end() {
        return offset + length;
    }

    @Override
    public String toString() {
        return object + "[" + offset + ".." + end() + ")";
    }
}
