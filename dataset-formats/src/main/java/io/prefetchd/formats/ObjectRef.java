package io.prefetchd.formats;

import static java.util.Objects.requireNonNull;

/**
 * One object of a dataset as a listing or HEAD saw it. An index built from an object is valid for exactly this
 * {@code (key, size, etag)}; when the ETag changes the object's part of the index is rebuilt.
 *
 * @param key the object key (a {@code /}-separated relative path for local folders)
 * @param size the object's length in bytes
 * @param etag the entity tag without surrounding quotes (for local files: derived from size and modification time)
 */
public record ObjectRef(String key, long size, String etag) {
    public ObjectRef {
        requireNonNull(key, "key is null");
        requireNonNull(etag, "etag is null");
        if (size < 0) {
            throw new IllegalArgumentException("size is negative: " + size);
        }
    }

    /** True when {@code other} is the same key at the same version (ETag and size). */
    public boolean sameVersion(ObjectRef other) {
        return other != null && key.equals(other.key) && size == other.size && etag.equals(other.etag);
    }
}
