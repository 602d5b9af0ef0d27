package io.prefetchd.benchmarks.harness;

import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadBucketRequest;
import software.amazon.awssdk.services.s3.model.HeadBucketResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * An S3Proxy {@link BlobStore} middleware that makes a local store behave like a cloud one, and counts requests.
 *
 * <p>Why not S3Proxy's own {@code LatencyBlobStore}: in 4.1.0 it sleeps a fixed time per operation (no jitter),
 * throttles each stream with a {@code Thread.sleep} per {@code read} call (no shared aggregate limit), its factory
 * is package-private, and it counts nothing. This one adds, per GET/HEAD/LIST, a first-byte delay drawn uniformly
 * from {@code [latency - jitter, latency + jitter]} (seeded), then paces the GET body through two {@link Pacer}s:
 * one per request (the per-connection bandwidth) and one shared (the aggregate bandwidth). Body bytes are counted
 * as they are handed to Jetty, so a client that aborts a GET early is charged only what was sent.
 *
 * <p>Uploads (PutObject and UploadPart) get the same first-byte delay and have their request bodies paced the same
 * way, per request and through an aggregate of their own (the link is full duplex).
 *
 * <p>Counted per S3 request, by kind: {@code gets} GetObject, {@code puts} PutObject (with a body) and UploadPart,
 * {@code heads} HeadObject and HeadBucket, {@code lists} ListObjectsV2 and ListObjects (S3Proxy serves the version 1 call through {@code list}). The
 * object look-ups S3Proxy makes inside other requests (a GET by part number, a conditional PUT or copy) go through
 * {@code blobMetadataIfPresent}, which is neither counted nor delayed here: they are part of the request that made
 * them.
 *
 * <p>Shaping can be switched off (uploads and setup run unshaped); counting is always on. Thread-safe: counters
 * are adders, the jitter generator is used under its lock, pacers are thread-safe.
 */
final class ShapingBlobStore extends ForwardingBlobStore {
    /** Largest slice paced at once, so that concurrent streams interleave smoothly. */
    private static final int SLICE = 32 * 1024;
    private static final long BURST_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    /** Pacing debt below this is carried forward instead of slept off at once. */
    private static final long SLACK_NANOS = TimeUnit.MICROSECONDS.toNanos(1000);

    private final S3Profile profile;
    private final Pacer aggregate;
    private final Pacer uploadAggregate;
    private final SplittableRandom jitter;
    private final AtomicBoolean shaping = new AtomicBoolean(false);
    final LongAdder gets = new LongAdder();
    final LongAdder getBytes = new LongAdder();
    final LongAdder heads = new LongAdder();
    final LongAdder lists = new LongAdder();
    final LongAdder puts = new LongAdder();
    final LongAdder putBytes = new LongAdder();

    ShapingBlobStore(BlobStore delegate, S3Profile profile) {
        super(delegate);
        this.profile = profile;
        this.aggregate = new Pacer(profile.aggregateBytesPerSecond(), BURST_NANOS);
        this.uploadAggregate = new Pacer(profile.aggregateBytesPerSecond(), BURST_NANOS);
        this.jitter = new SplittableRandom(profile.seed());
    }

    void setShaping(boolean on) {
        shaping.set(on);
    }

    boolean shapingOn() {
        return shaping.get();
    }

    private void firstByteDelay() {
        if (!shaping.get()) {
            return;
        }
        double ms = profile.firstByteMillis();
        if (profile.jitterMillis() > 0) {
            double u;
            synchronized (jitter) {
                u = jitter.nextDouble();
            }
            ms += (2 * u - 1) * profile.jitterMillis();
        }
        if (ms > 0) {
            Pacer.sleepUntil(System.nanoTime() + (long) (ms * 1e6));
        }
    }

    @Override
    public @Nullable ResponseInputStream<GetObjectResponse> getBlob(GetObjectRequest request) {
        gets.increment();
        firstByteDelay();
        ResponseInputStream<GetObjectResponse> in = super.getBlob(request);
        if (in == null) {
            return null;
        }
        return new ResponseInputStream<>(in.response(), new Shaped(in, getBytes, aggregate));
    }

    @Override
    public PutObjectResponse putBlob(PutObjectRequest request, InputStream body) {
        if (request.contentLength() == null || request.contentLength() > 0) {
            puts.increment();   // S3Proxy stores an empty stub through here when a multipart upload starts
        }
        firstByteDelay();
        return super.putBlob(request, new Shaped(body, putBytes, uploadAggregate));
    }

    @Override
    public UploadPartResponse uploadMultipartPart(MultipartUpload upload, UploadPartRequest request,
                                                  InputStream body) {
        puts.increment();
        firstByteDelay();
        return super.uploadMultipartPart(upload, request, new Shaped(body, putBytes, uploadAggregate));
    }

    @Override
    public HeadObjectResponse blobMetadata(HeadObjectRequest request) {
        heads.increment();
        firstByteDelay();
        return super.blobMetadata(request);
    }

    @Override
    public HeadBucketResponse headBucket(HeadBucketRequest request) {
        heads.increment();
        firstByteDelay();
        return super.headBucket(request);
    }

    /** Not a request of its own (the interface's default would call {@link #blobMetadata}, counting a HEAD). */
    @Override
    public HeadObjectResponse blobMetadataIfPresent(HeadObjectRequest request) {
        return delegate().blobMetadataIfPresent(request);
    }

    @Override
    public ListObjectsV2Response list(ListObjectsV2Request request) {
        lists.increment();
        firstByteDelay();
        return super.list(request);
    }

    /** The body of one GET or upload: counted, and paced when shaping is on. */
    private final class Shaped extends FilterInputStream {
        private final Pacer connection = new Pacer(profile.perConnectionBytesPerSecond(), BURST_NANOS);
        private final LongAdder counted;
        private final Pacer shared;

        Shaped(InputStream in, LongAdder counted, Pacer shared) {
            super(in);
            this.counted = counted;
            this.shared = shared;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                pass(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, Math.min(len, SLICE));
            if (n > 0) {
                pass(n);
            }
            return n;
        }

        private void pass(int n) {
            counted.add(n);
            if (!shaping.get()) {
                return;
            }
            long until = 0;
            if (!connection.unlimited()) {
                until = connection.reserve(n);
            }
            if (!shared.unlimited()) {
                until = Math.max(until, shared.reserve(n));
            }
            if (until != 0) {
                Pacer.sleepIfBehind(until, SLACK_NANOS);
            }
        }
    }
}
