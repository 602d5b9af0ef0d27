package io.prefetchd.gateway.fs;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * What the NFS layer needs to know about a file or directory. {@code etag} identifies the object version a
 * file's bytes belong to (null for directories); {@code change} is the NFS change attribute derived from it.
 * {@code owner} is null when the name carries no owner of its own and shows the export's defaults.
 */
public record FileAttributes(FileType type, long size, long fileId, long change, Instant mtime, @Nullable String etag,
                             @Nullable Owner owner) {
    public static final long UNKNOWN_CHANGE = 0;

    public FileAttributes {
        requireNonNull(type, "type is null");
        requireNonNull(mtime, "mtime is null");
        if (type == FileType.REGULAR) {
            requireNonNull(etag, "etag is null");
        }
    }

    /** The ETag of a regular file's version, which always has one (the constructor checks it). */
    public String fileEtag() {
        return requireNonNull(etag, "only a regular file has an ETag");
    }

    /** Attributes with no owner of their own. */
    public FileAttributes(FileType type, long size, long fileId, long change, Instant mtime, @Nullable String etag) {
        this(type, size, fileId, change, mtime, etag, null);
    }
}
