package io.prefetchd.gateway.testing;

import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

import java.util.concurrent.atomic.AtomicLong;

/** An emulated S3's store that counts the GETs it serves, so a test can see what reached the backend. */
public final class CountingBlobStore extends ForwardingBlobStore {
    private final AtomicLong gets = new AtomicLong();

    public CountingBlobStore(BlobStore delegate) {
        super(delegate);
    }

    @Override
    public ResponseInputStream<GetObjectResponse> getBlob(GetObjectRequest request) {
        gets.incrementAndGet();
        return super.getBlob(request);
    }

    public long gets() {
        return gets.get();
    }
}
