package io.prefetchd.gateway.s3;

import static io.prefetchd.gateway.s3.ObjectStoreContract.MULTIPART_BYTES;
import static io.prefetchd.gateway.s3.ObjectStoreContract.failure;
import static io.prefetchd.gateway.s3.ObjectStoreContract.md5;
import static io.prefetchd.gateway.s3.ObjectStoreContract.randomBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.s3.ObjectStoreException.Kind;
import io.prefetchd.gateway.testing.FaultProxy;
import io.prefetchd.gateway.testing.FaultProxy.Fault;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Uploads through a {@link FaultProxy} in front of S3Proxy: failed requests are retried (by the SDK, then by the
 * upload's own backoff) and the object's bytes are exact; an upload that keeps failing fails with the right kind
 * and leaves neither an object nor an open multipart upload behind; a write to an unreachable S3 fails fast.
 */
class S3WritesFaultIT {
    private static final AtomicInteger BUCKETS = new AtomicInteger();
    /** Small parts, and quick retries so that the tests do not wait out production pauses. */
    private static final UploadSettings UPLOADS = S3ObjectStoreIT.SMALL_PARTS
            .withRetries(3, Duration.ofMillis(10), Duration.ofMillis(50));
    private static S3ProxyFixture s3;

    @TempDir
    Path tmp;
    private FaultProxy proxy;
    private SimpleMeterRegistry registry;
    private String bucket;
    private S3ObjectStore store;
    private Path file;
    private byte[] data;

    @BeforeAll
    static void startS3() {
        s3 = S3ProxyFixture.start();
    }

    @AfterAll
    static void stopS3() {
        s3.close();
    }

    @BeforeEach
    void setUp() throws Exception {
        proxy = FaultProxy.start(s3.endpoint().getPort());
        bucket = "faults-" + BUCKETS.incrementAndGet();
        s3.createBucket(bucket);
        registry = new SimpleMeterRegistry();
        data = randomBytes(MULTIPART_BYTES, 21);
        file = tmp.resolve("checkpoint.bin");
        Files.write(file, data);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (store != null) {
            store.close();
        }
        proxy.close();
    }

    /** A store through the proxy with {@code sdkAttempts} attempts per request at the SDK's level. */
    private S3ObjectStore open(int sdkAttempts) {
        S3Settings settings = S3Settings.of(URI.create("http://127.0.0.1:" + proxy.port()), S3ProxyFixture.REGION,
                bucket, true).withMaxAttempts(sdkAttempts).withUploads(UPLOADS);
        store = s3.openStore(settings, registry);
        return store;
    }

    @Test
    void uploadPart_failingTwiceWith500_isSentAgainAndObjectIsExact() throws Exception {
        open(1);
        proxy.failNext(2, "partNumber=2&", Fault.INTERNAL_ERROR);

        ObjectMeta meta = store.upload("ckpt", file, Map.of(), false, null).get(60, TimeUnit.SECONDS);

        assertEquals(2, proxy.injected());
        assertEquals(2.0, registry.get("prefetchd.s3.upload.retries").counter().count());
        assertEquals(md5(data), md5(download("ckpt")));
        assertEquals(meta.etag(), store.head("ckpt").orElseThrow().etag());
        assertEquals(List.of(), openUploads());
    }

    @Test
    void uploadPart_connectionResetTwice_isRetriedAndObjectIsExact() throws Exception {
        open(S3Settings.DEFAULT_MAX_ATTEMPTS);
        proxy.failNext(2, "partNumber=3&", Fault.RESET);

        store.upload("ckpt", file, Map.of(), false, null).get(60, TimeUnit.SECONDS);

        assertEquals(2, proxy.injected());
        assertTrue(registry.get("prefetchd.s3.retries").counter().count() >= 2);
        assertEquals(md5(data), md5(download("ckpt")));
        assertFalse(store.reachability().isOpen());
    }

    @Test
    void put_slowDownTwice_isSentAgainAndObjectIsExact() throws Exception {
        open(1);
        byte[] small = randomBytes(200_000, 22);
        Path smallFile = tmp.resolve("small.bin");
        Files.write(smallFile, small);
        proxy.failNext(2, "^PUT ", Fault.SLOW_DOWN);

        store.upload("small", smallFile, Map.of("uid", "5"), false, null).get(60, TimeUnit.SECONDS);

        assertEquals(2, proxy.injected());
        assertEquals(md5(small), md5(download("small")));
        assertEquals(Map.of("uid", "5"), store.userMetadata("small").orElseThrow());
    }

    @Test
    void completeMultipartUpload_answerLost_uploadSucceedsWithItsObject() throws Exception {
        open(S3Settings.DEFAULT_MAX_ATTEMPTS);
        proxy.failNext(1, "^POST [^ ]*uploadId=", Fault.LOSE_ANSWER);

        ObjectMeta meta = store.upload("ckpt", file, Map.of(), false, null).get(60, TimeUnit.SECONDS);

        assertEquals(1, proxy.injected());
        assertEquals(md5(data), md5(download("ckpt")));
        assertEquals(meta.etag(), store.head("ckpt").orElseThrow().etag());
        assertEquals(List.of(), openUploads());
    }

    @Test
    void completeMultipartUpload_theStoreTakesLongerThanTheReadTimeoutToAnswer_isWaitedForNotSentAgain()
            throws Exception {
        // 40 MiB: the store may assemble it for 40 s (at 1 MiB/s) on top of the 1 s of silence any request gets
        byte[] large = randomBytes(40 * 1024 * 1024, 23);
        Path largeFile = tmp.resolve("large.bin");
        Files.write(largeFile, large);
        S3Settings settings = S3Settings.of(URI.create("http://127.0.0.1:" + proxy.port()), S3ProxyFixture.REGION,
                bucket, true).withUploads(UPLOADS).withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(1));
        store = s3.openStore(settings, registry);
        proxy.answerDelay(Duration.ofMillis(2500));
        proxy.failNext(1, "^POST [^ ]*uploadId=", Fault.SLOW_ANSWER);

        ObjectMeta meta = store.upload("ckpt", largeFile, Map.of(), true, null).get(60, TimeUnit.SECONDS);

        assertEquals(1, proxy.injected());
        assertEquals(0.0, registry.get("prefetchd.s3.retries").counter().count(), "sent again after a read timeout");
        assertEquals(1.0, registry.get("prefetchd.s3.requests").tags("op", "complete_multipart", "outcome", "ok")
                .counter().count());
        assertEquals(List.of(), registry.find("prefetchd.s3.requests").tag("outcome", "unreachable").counters()
                .stream().map(c -> c.getId().toString()).toList(), "the circuit breaker opened");
        assertEquals(md5(large), md5(download("ckpt")));
        assertEquals(meta.etag(), store.head("ckpt").orElseThrow().etag());
        assertEquals(List.of(), openUploads());
    }

    @Test
    void completeMultipartUpload_ifNoneMatchOverTheSameBytesCompletedBefore_isThatObject_andAbortsItsUpload()
            throws Exception {
        open(S3Settings.DEFAULT_MAX_ATTEMPTS);
        ObjectMeta first = sendInOnePart("ckpt", data);

        // an upload of the same parts whose earlier completion landed although its answer was lost
        ObjectMeta again = sendInOnePart("ckpt", data);

        assertEquals(first.etag(), again.etag());
        assertEquals(md5(data), md5(download("ckpt")));
        assertEquals(List.of(), openUploads());
    }

    /** {@code bytes} as a one-part multipart upload completed with If-None-Match. */
    private ObjectMeta sendInOnePart(String key, byte[] bytes) throws Exception {
        String id = store.beginMultipart(key, Map.of()).get(30, TimeUnit.SECONDS);
        UploadedPart part = store.uploadPart(key, id, 1, java.nio.ByteBuffer.wrap(bytes)).get(30, TimeUnit.SECONDS);
        return store.completeMultipart(key, id, List.of(part), true, null).get(30, TimeUnit.SECONDS);
    }

    @Test
    void uploadPart_alwaysFailing_failsUnavailableAndLeavesNoObjectAndNoOpenUpload() {
        open(2);
        proxy.failNext(Integer.MAX_VALUE, "partNumber=2&", Fault.INTERNAL_ERROR);

        ObjectStoreException e = failure(store.upload("ckpt", file, Map.of(), false, null));

        assertEquals(Kind.UNAVAILABLE, e.kind());
        assertEquals(UPLOADS.attempts(), proxy.injected() / 2);   // two SDK attempts per upload attempt
        assertFalse(exists("ckpt"));
        assertEquals(List.of(), openUploads());
        assertEquals(1.0, registry.get("prefetchd.s3.uploads").tags("kind", "multipart", "outcome", "unavailable")
                .counter().count());
    }

    @Test
    void put_alwaysThrottled_failsThrottledAndLeavesNoObject() throws Exception {
        open(1);
        Path smallFile = tmp.resolve("small.bin");
        Files.write(smallFile, new byte[1000]);
        proxy.failNext(Integer.MAX_VALUE, "^PUT ", Fault.SLOW_DOWN);

        ObjectStoreException e = failure(store.upload("small", smallFile, Map.of(), false, null));

        assertEquals(Kind.THROTTLED, e.kind());
        assertEquals(UPLOADS.attempts(), proxy.injected());
        assertFalse(exists("small"));
    }

    @Test
    void upload_toUnreachableS3_failsUnreachableThenFailsFast() throws Exception {
        open(2);
        proxy.mode(FaultProxy.Mode.REFUSE);

        ObjectStoreException first = failure(store.upload("ckpt", file, Map.of(), false, null));
        ObjectStoreException second = failure(store.upload("ckpt", file, Map.of(), false, null));

        assertEquals(Kind.UNREACHABLE, first.kind());
        assertTrue(store.reachability().isOpen());
        assertEquals(Kind.UNREACHABLE, second.kind());
        assertTrue(second.getMessage().contains("not sent"), second.getMessage());
    }

    private byte[] download(String key) {
        return s3.adminClient().getObject(b -> b.bucket(bucket).key(key), AsyncResponseTransformer.toBytes())
                .join().asByteArray();
    }

    private boolean exists(String key) {
        try {
            s3.adminClient().headObject(b -> b.bucket(bucket).key(key)).join();
            return true;
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof NoSuchKeyException) {
                return false;
            }
            throw e;
        }
    }

    private List<String> openUploads() {
        return s3.adminClient().listMultipartUploads(b -> b.bucket(bucket)).join().uploads().stream()
                .map(u -> u.key() + " " + u.uploadId()).toList();
    }
}
