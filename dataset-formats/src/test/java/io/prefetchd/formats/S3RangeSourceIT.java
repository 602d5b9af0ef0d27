package io.prefetchd.formats;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The {@link RangeSource} contract over real HTTP against S3Proxy. */
class S3RangeSourceIT extends RangeSourceContract {
    private static S3ProxyServer s3;
    private static final AtomicInteger BUCKETS = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        s3 = S3ProxyServer.start();
    }

    @AfterAll
    static void stop() throws Exception {
        s3.close();
    }

    @Override
    protected RangeSource sourceWith(Map<String, byte[]> objects) {
        return s3.bucket("contract-" + BUCKETS.incrementAndGet(), objects);
    }

    @Test
    void read_ofAnObjectRewrittenSinceListing_failsInsteadOfMixingVersions() throws Exception {
        S3RangeSource source = s3.bucket("changed", Map.of("a.bin", Fixtures.bytes(1, 100)));
        ObjectRef listed = source.head("a.bin").orElseThrow();
        s3.client.putObject(b -> b.bucket("changed").key("a.bin"),
                software.amazon.awssdk.core.sync.RequestBody.fromBytes(Fixtures.bytes(2, 100)));
        assertThrows(IOException.class, () -> source.read(listed, 0, 10));
    }
}
