package io.prefetchd.formats;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A test-only {@link RangeSource} over one bucket with the AWS SDK v2 client: what the gateway's adapter over
 * its own object store does, kept here so the indexers are exercised over real HTTP ranged GETs. Reads are
 * conditional on the listed ETag ({@code If-Match}). SDK errors become {@link IOException}s in one place.
 */
final class S3RangeSource implements RangeSource {
    private final S3Client s3;
    private final String bucket;

    S3RangeSource(S3Client s3, String bucket) {
        this.s3 = s3;
        this.bucket = bucket;
    }

    @Override
    public List<ObjectRef> list(String prefix) throws IOException {
        try {
            List<ObjectRef> out = new ArrayList<>();
            for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
                if (!o.key().endsWith("/")) {
                    out.add(new ObjectRef(o.key(), o.size(), unquote(o.eTag())));
                }
            }
            out.sort((a, b) -> KeyOrder.INSTANCE.compare(a.key(), b.key()));
            return out;
        } catch (SdkException e) {
            throw translate("list " + prefix, e);
        }
    }

    @Override
    public Optional<ObjectRef> head(String key) throws IOException {
        try {
            HeadObjectResponse h = s3.headObject(b -> b.bucket(bucket).key(key));
            return Optional.of(new ObjectRef(key, h.contentLength(), unquote(h.eTag())));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw translate("head " + key, e);
        } catch (SdkException e) {
            throw translate("head " + key, e);
        }
    }

    @Override
    public byte[] read(ObjectRef object, long offset, int length) throws IOException {
        long end = Math.min(object.size(), offset + length);
        if (end <= offset) {
            return new byte[0];
        }
        try {
            return s3.getObjectAsBytes(b -> b.bucket(bucket).key(object.key()).ifMatch("\"" + object.etag() + "\"")
                    .range("bytes=" + offset + "-" + (end - 1))).asByteArray();
        } catch (SdkException e) {
            throw translate("read " + object.key() + " [" + offset + ", " + end + ")", e);
        }
    }

    @Override
    public InputStream stream(ObjectRef object) throws IOException {
        try {
            return s3.getObject(b -> b.bucket(bucket).key(object.key()).ifMatch("\"" + object.etag() + "\""));
        } catch (SdkException e) {
            throw translate("stream " + object.key(), e);
        }
    }

    private static IOException translate(String what, SdkException e) {
        return new IOException(what + ": " + e.getMessage(), e);
    }

    static String unquote(String etag) {
        return etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")
                ? etag.substring(1, etag.length() - 1) : etag;
    }
}
