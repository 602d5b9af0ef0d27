package io.prefetchd.gateway.daemon;

import io.micronaut.http.HttpResponse;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import io.prefetchd.gateway.s3.ListPage;
import io.prefetchd.gateway.s3.ObjectMeta;
import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.s3.ObjectStoreException;
import org.junit.jupiter.api.Test;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.*;

class ReadinessTest {
    /** The in-memory bucket, with listings that fail while {@code down}. */
    private static final class FlakyStore implements ObjectStore {
        final InMemoryObjectStore store = new InMemoryObjectStore("bucket");
        volatile boolean down = true;

        @Override
        public String bucket() {
            return store.bucket();
        }

        @Override
        public Optional<ObjectMeta> head(String key) {
            return store.head(key);
        }

        @Override
        public ListPage list(String prefix, String delimiter, String continuationToken, int maxKeys) {
            if (down) {
                throw new ObjectStoreException(ObjectStoreException.Kind.IO, "bucket", prefix,
                        "LIST failed: connection refused");
            }
            return store.list(prefix, delimiter, continuationToken, maxKeys);
        }

        @Override
        public CompletableFuture<byte[]> getRange(String key, String etag, long offset, int length) {
            return store.getRange(key, etag, offset, length);
        }

        @Override
        public void close() {
        }
    }

    private final FlakyStore store = new FlakyStore();
    private final Readiness readiness = new Readiness(store, "data/", Executors.newSingleThreadScheduledExecutor());

    @Test
    void notReady_untilS3AnswersAListing_withTheFailureAsReason() {
        assertFalse(readiness.probe());
        assertTrue(readiness.notReadyReason().contains("s3://bucket/data/"), readiness.notReadyReason());
        assertTrue(readiness.notReadyReason().contains("connection refused"), readiness.notReadyReason());
        HttpResponse<String> r = new HealthController(readiness).ready();
        assertEquals(503, r.code());
        assertTrue(r.body().startsWith("not ready: S3 has not answered"), r.body());

        store.down = false;
        assertTrue(readiness.probe());
        assertNull(readiness.notReadyReason());
        assertEquals(200, new HealthController(readiness).ready().code());
    }

    @Test
    void onceReady_staysReady_whenS3GoesAway() {
        store.down = false;
        assertTrue(readiness.probe());
        store.down = true;
        assertTrue(readiness.probe());
        assertEquals(200, new HealthController(readiness).ready().code());
    }

    @Test
    void health_isAlwaysOk_ready503WithoutGateway() {
        assertEquals("ok\n", new HealthController(null).health());
        assertEquals(503, new HealthController(null).ready().code());
    }
}
