package io.prefetchd.gateway.testing;

import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

import java.util.concurrent.atomic.AtomicLong;

/** An emulated S3's store that counts the GETs it serves and their bytes, so a test can see what reached the backend. */
public final class CountingBlobStore extends ForwardingBlobStore {
    private final AtomicLong gets = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();

    public CountingBlobStore(BlobStore delegate) {
        super(delegate);
    }

    @Override
    public ResponseInputStream<GetObjectResponse> getBlob(GetObjectRequest request) {
        gets.incrementAndGet();
        ResponseInputStream<GetObjectResponse> r = super.getBlob(request);
        Long length = r.response().contentLength();
        bytes.addAndGet(length == null ? 0 : length);
        return r;
    }

    public long gets() {
        return gets.get();
    }

    /** The bytes of the GETs' answers (their ranges' lengths), whether or not the caller read them all. */
    public long bytes() {
        return bytes.get();
    }
}
