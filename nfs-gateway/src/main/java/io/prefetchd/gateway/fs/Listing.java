package io.prefetchd.gateway.fs;

import java.time.Instant;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * One directory as a listing saw it: the snapshot clients page through, a name index, whether the prefix exists
 * at all, the newest object's mtime, and when it was listed.
 */
record Listing(DirListing listing, Map<String, DirEntry> byName, boolean exists, Instant mtime, Instant loadedAt)
        implements Stamped {
    Listing {
        requireNonNull(listing, "listing is null");
        requireNonNull(byName, "byName is null");
        requireNonNull(mtime, "mtime is null");
        requireNonNull(loadedAt, "loadedAt is null");
    }
}
