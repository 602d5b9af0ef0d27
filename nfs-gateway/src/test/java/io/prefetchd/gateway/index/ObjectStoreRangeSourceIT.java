package io.prefetchd.gateway.index;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.formats.RangeSource;
import io.prefetchd.formats.RangeSourceContract;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** The dataset-formats RangeSource contract over the gateway's S3 store against S3Proxy. */
class ObjectStoreRangeSourceIT extends RangeSourceContract {
    private static S3ProxyFixture s3;
    private static final AtomicInteger BUCKETS = new AtomicInteger();

    @BeforeAll
    static void start() {
        s3 = S3ProxyFixture.start();
    }

    @AfterAll
    static void stop() {
        s3.close();
    }

    @Override
    protected RangeSource sourceWith(Map<String, byte[]> objects) {
        String bucket = "contract-" + BUCKETS.incrementAndGet();
        s3.createBucket(bucket);
        objects.forEach((k, v) -> s3.put(bucket, k, v));
        return new ObjectStoreRangeSource(s3.openStore(bucket, new SimpleMeterRegistry()));
    }
}
