package io.prefetchd.gateway.testing;

import com.google.common.io.CountingInputStream;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

import java.io.InputStream;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An emulated S3's store that counts the GETs it serves and their bytes, and the bytes it receives (PUTs and
 * multipart parts, whatever became of them), so a test can see what reached the backend.
 */
public final class CountingBlobStore extends ForwardingBlobStore {
    private final AtomicLong gets = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong received = new AtomicLong();

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

    @Override
    public PutObjectResponse putBlob(PutObjectRequest request, InputStream content) {
        CountingInputStream in = new CountingInputStream(content);
        try {
            return super.putBlob(request, in);
        } finally {
            received.addAndGet(in.getCount());
        }
    }

    @Override
    public UploadPartResponse uploadMultipartPart(MultipartUpload upload, UploadPartRequest request,
                                                  InputStream content) {
        CountingInputStream in = new CountingInputStream(content);
        try {
            return super.uploadMultipartPart(upload, request, in);
        } finally {
            received.addAndGet(in.getCount());
        }
    }

    /** The bytes of the PUTs and multipart parts received (not copies, which move no bytes over the network). */
    public long received() {
        return received.get();
    }
}
