package io.prefetchd.gateway.s3;

import org.jspecify.annotations.Nullable;
import static java.util.Objects.requireNonNull;

/**
 * One part of a multipart upload the store acknowledged: what CompleteMultipartUpload names it by.
 *
 * @param number the part number, from 1
 * @param length its bytes
 * @param etag the store's ETag of the part
 * @param checksumCrc32 the CRC32 the store checked (base64), or {@code null} when none was sent
 */
public record UploadedPart(int number, long length, String etag, @Nullable String checksumCrc32) {
    public UploadedPart {
        requireNonNull(etag, "etag is null");
        if (number < 1 || number > UploadSettings.MAX_PARTS) {
            throw new IllegalArgumentException("part number must be in [1, " + UploadSettings.MAX_PARTS + "]: "
                    + number);
        }
        if (length < 0) {
            throw new IllegalArgumentException("length is negative: " + length);
        }
    }
}
