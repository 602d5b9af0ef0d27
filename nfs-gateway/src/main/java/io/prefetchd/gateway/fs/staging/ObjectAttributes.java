package io.prefetchd.gateway.fs.staging;

import io.prefetchd.gateway.fs.Owner;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * What the gateway knows of a name written through it beyond what a listing says: its owner, group, mode and
 * mtime, and the ETag of the object version they belong to ({@code null} for a directory). Kept in the journal so
 * that listings show owners without a HEAD per file, and written as the object's user metadata, in the names s3fs
 * uses: {@code x-amz-meta-mode} (decimal, with the file type bits, as {@code st_mode}), {@code -uid}, {@code -gid}
 * and {@code -mtime} (seconds since the epoch).
 */
record ObjectAttributes(@Nullable String etag, Owner owner, Instant mtime) {
    static final int S_IFREG = 0100000;
    static final int S_IFDIR = 0040000;

    ObjectAttributes {
        requireNonNull(owner, "owner is null");
        requireNonNull(mtime, "mtime is null");
    }

    /** The user metadata of an object (names without the {@code x-amz-meta-} prefix). */
    static Map<String, String> metadata(Owner owner, Instant mtime, boolean directory) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("mode", Integer.toString((directory ? S_IFDIR : S_IFREG) | owner.mode()));
        m.put("uid", Integer.toString(owner.uid()));
        m.put("gid", Integer.toString(owner.gid()));
        m.put("mtime", Long.toString(mtime.getEpochSecond()));
        return m;
    }
}
