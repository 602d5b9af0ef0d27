package io.prefetchd.gateway.index;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.formats.RangeSource;
import io.prefetchd.formats.RangeSourceContract;
import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

    @Test
    void pagedList_asksForEachPageOnlyOnceThePreviousOneIsHandedOut() throws Exception {
        String bucket = "paged";
        s3.createBucket(bucket);
        for (int i = 0; i < 5; i++) {
            s3.put(bucket, "d/" + i + ".bin", new byte[] {(byte) i});
        }
        s3.put(bucket, "e/other.bin", new byte[1]);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (ObjectStore store = s3.openStore(bucket, meters)) {
            RangeSource source = new ObjectStoreRangeSource(store, 2);
            List<String> keys = new ArrayList<>();
            List<Double> listsSoFar = new ArrayList<>();

            source.list("d/", o -> {
                keys.add(o.key());
                listsSoFar.add(lists(meters));
            });

            assertEquals(List.of("d/0.bin", "d/1.bin", "d/2.bin", "d/3.bin", "d/4.bin"), keys);
            assertEquals(List.of(1.0, 1.0, 2.0, 2.0, 3.0), listsSoFar);
            assertEquals(3.0, lists(meters));
        }
    }

    private static double lists(MeterRegistry meters) {
        return meters.find("prefetchd.s3.requests").tag("op", "list").counters().stream()
                .mapToDouble(Counter::count).sum();
    }
}
