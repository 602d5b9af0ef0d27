package io.prefetchd.gateway.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
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
        store = s3.openStore(bucket, registry);
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
