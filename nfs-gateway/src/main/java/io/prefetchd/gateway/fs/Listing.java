package io.prefetchd.gateway.fs;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * One directory as a listing saw it: the snapshot clients page through (and look names up in), whether the prefix
 * exists at all, the newest object's mtime, and when it was listed.
 */
record Listing(DirListing listing, boolean exists, Instant mtime, Instant loadedAt) implements Stamped {
    Listing {
        requireNonNull(listing, "listing is null");
        requireNonNull(mtime, "mtime is null");
        requireNonNull(loadedAt, "loadedAt is null");
    }

    /** The entry named {@code name}, or null. */
    @Nullable DirEntry find(String name) {
        return listing.find(name);
    }

    /** Heap held, for the weight of the listing caches. */
    int weight() {
        return (int) Math.min(Integer.MAX_VALUE, 128 + listing.retainedBytes());
    }
}
