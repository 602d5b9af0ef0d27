package io.prefetchd.gateway.s3;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * What HEAD or a listing says about one object.
 *
 * @param key the object key
 * @param size the object's length in bytes
 * @param etag the entity tag <em>without</em> the surrounding double quotes S3 puts on the wire
 * @param lastModified when the object was last written
 */
public record ObjectMeta(String key, long size, String etag, Instant lastModified) {
    public ObjectMeta {
        requireNonNull(key, "key is null");
        requireNonNull(etag, "etag is null");
        requireNonNull(lastModified, "lastModified is null");
        if (size < 0) {
            throw new IllegalArgumentException("size is negative: " + size);
        }
        if (etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")) {
            throw new IllegalArgumentException("etag must not carry surrounding quotes: " + etag);
        }
    }
}
