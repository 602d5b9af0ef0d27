package io.prefetchd.gateway.cache;

import static java.util.Objects.requireNonNull;

/**
 * One version of one object, as the NFS layer opened it: reads through the cache return exactly this
 * version's bytes or fail ({@code ObjectStoreException} CHANGED once S3 has a different version).
 *
 * @param key the object key
 * @param etag the ETag without quotes
 * @param size the object's length in bytes
 */
public record ObjectVersion(String key, String etag, long size) {
    public ObjectVersion {
        requireNonNull(key, "key is null");
        requireNonNull(etag, "etag is null");
        if (size < 0) {
            throw new IllegalArgumentException("size is negative: " + size);
        }
    }
}
