package io.prefetchd.gateway.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/** The {@link ObjectStoreContract} against {@link S3ObjectStore} talking to an in-process S3Proxy. */
class S3ObjectStoreIT extends ObjectStoreContract {
    private static final AtomicInteger BUCKETS = new AtomicInteger();
    private static S3ProxyFixture s3;
    /** Multipart uploads and copies from 6 MiB, in 5 MiB parts: {@link #MULTIPART_BYTES} take three. */
    static final UploadSettings SMALL_PARTS = UploadSettings.defaults()
            .withMultipart(6 * UploadSettings.MIB, UploadSettings.S3_MIN_PART, UploadSettings.S3_MIN_PART,
                    6 * UploadSettings.MIB);

    private SimpleMeterRegistry registry;
    private String bucket;
    private S3ObjectStore store;

    @BeforeAll
    static void startS3() {
        s3 = S3ProxyFixture.start();
    }

    @AfterAll
    static void stopS3() {
        s3.close();
    }

    @BeforeEach
    void setUp() {
        bucket = "contract-" + BUCKETS.incrementAndGet();
        s3.createBucket(bucket);
        registry = new SimpleMeterRegistry();
        store = s3.openStore(s3.settings(bucket).withUploads(SMALL_PARTS), registry);
    }

    @AfterEach
    void tearDown() {
        store.close();
    }

    @Override
    protected ObjectStore store() {
        return store;
    }

    @Override
    protected String put(String key, byte[] bytes) {
        return s3.put(bucket, key, bytes);
    }

    @Override
    protected void delete(String key) {
        s3.delete(bucket, key);
    }

    /** AWS S3 lists in UTF-8 binary order; S3Proxy 4.1.0 sorts Java strings (UTF-16 code units). */
    @Test
    @Disabled("S3Proxy 4.1.0 orders keys by UTF-16 code units, not UTF-8 bytes as AWS S3 does")
    @Override
    void list_ordersKeysByUtf8BytesNotUtf16() {
    }

    @Test
    void upload_largeFile_goesUpInThreePartsAndLeavesNoUploadOpen() throws Exception {
        Path file = tmp.resolve("large.bin");
        Files.write(file, randomBytes(MULTIPART_BYTES, 11));

        store.upload("parts", file, Map.of(), false, null).get(60, TimeUnit.SECONDS);

        assertEquals(3.0, registry.get("prefetchd.s3.upload.parts").counter().count());
        assertEquals(MULTIPART_BYTES, registry.get("prefetchd.s3.upload.bytes").counter().count());
        assertEquals(1.0, registry.get("prefetchd.s3.uploads").tags("kind", "multipart", "outcome", "ok").counter().count());
        assertEquals(1, registry.get("prefetchd.s3.upload.duration").tags("kind", "multipart").timer().count());
        assertEquals(List.of(), s3.adminClient().listMultipartUploads(b -> b.bucket(bucket)).join().uploads());
    }

    @Test
    void upload_smallFile_isOnePut() throws Exception {
        Path file = tmp.resolve("small.bin");
        Files.write(file, new byte[1000]);

        store.upload("one", file, Map.of(), false, null).get(60, TimeUnit.SECONDS);

        assertEquals(1.0, registry.get("prefetchd.s3.requests").tags("op", "put", "outcome", "ok").counter().count());
        assertEquals(1.0, registry.get("prefetchd.s3.uploads").tags("kind", "single", "outcome", "ok").counter().count());
        assertEquals(0.0, registry.get("prefetchd.s3.upload.parts").counter().count());
    }

    @Test
    void copy_aboveMultipartCopyThreshold_usesUploadPartCopy() throws Exception {
        String etag = put("src", randomBytes(MULTIPART_BYTES, 12));

        store.copy("src", etag, "dst");

        assertEquals(3.0, registry.get("prefetchd.s3.requests").tags("op", "upload_part_copy", "outcome", "ok")
                .counter().count());
        assertEquals(List.of(), s3.adminClient().listMultipartUploads(b -> b.bucket(bucket)).join().uploads());
    }

    @Test
    void copy_belowMultipartCopyThreshold_isOneCopyObject() throws Exception {
        String etag = put("src", new byte[1000]);

        store.copy("src", etag, "dst");

        assertEquals(1.0, registry.get("prefetchd.s3.requests").tags("op", "copy", "outcome", "ok").counter().count());
    }

    @Test
    void metrics_countRequestsBytesAndOutcomes() throws Exception {
        String etag = put("m", new byte[5000]);

        store.getRange("m", etag, 0, 3000).get(30, TimeUnit.SECONDS);
        store.head("m");
        store.head("absent");
        failure(store.getRange("m", "stale", 0, 10));

        assertEquals(1.0, registry.get("prefetchd.s3.requests").tags("op", "get", "outcome", "ok").counter().count());
        assertEquals(1.0, registry.get("prefetchd.s3.requests").tags("op", "get", "outcome", "changed").counter().count());
        assertEquals(1.0, registry.get("prefetchd.s3.requests").tags("op", "head", "outcome", "ok").counter().count());
        assertEquals(1.0, registry.get("prefetchd.s3.requests").tags("op", "head", "outcome", "not_found").counter().count());
        assertEquals(3000.0, registry.get("prefetchd.s3.bytes").counter().count());
        assertEquals(2, registry.get("prefetchd.s3.latency").tags("op", "get").timer().count());
        assertEquals(0.0, registry.get("prefetchd.s3.retries").counter().count());
    }
}
