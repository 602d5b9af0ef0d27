package io.prefetchd.gateway.cache;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import io.prefetchd.gateway.s3.ObjectStoreException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link DiskExtentCache#readAsync}: cached bytes at once, missing bytes when their GET completes (counted as a
 * miss), and UNAVAILABLE when they do not arrive within the demand timeout. GETs are held on a latch; the waits are
 * bounds on liveness, not measurements.
 */
class DiskExtentCacheAsyncTest {
    private static final int GRAIN = 4096;

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock(Instant.parse("2025-01-01T00:00:00Z"));
    private final InMemoryObjectStore store = new InMemoryObjectStore("bucket", clock);
    private final CountDownLatch s3Answers = new CountDownLatch(1);
    private DiskExtentCache cache;

    private ObjectVersion put(String key, int size) {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) (i * 7 + key.length());
        }
        return new ObjectVersion(key, store.put(key, bytes), size);
    }

    private DiskExtentCache open(Duration demandTimeout) {
        cache = DiskExtentCache.open(dir, 1 << 20, GRAIN, store, new SimpleMeterRegistry(), clock,
                DiskExtentCache.Options.defaults().withDemandTimeout(demandTimeout));
        return cache;
    }

    @AfterEach
    void close() {
        s3Answers.countDown();
        if (cache != null) {
            cache.close();
        }
        store.close();
    }

    @Test
    void readAsync_ofCachedBytes_isCompleteOnReturn_andAHit() throws Exception {
        ObjectVersion object = put("a", 3 * GRAIN);
        DiskExtentCache c = open(Duration.ofSeconds(60));
        byte[] expected = c.read(object, 0, 3 * GRAIN);
        c.prefetch(object, 0, 3 * GRAIN, false).get(30, TimeUnit.SECONDS);   // on disk now

        CompletableFuture<ExtentCache.CachedRead> r = c.readAsync(object, 100, 2 * GRAIN);
        assertTrue(r.isDone(), "nothing to wait for");
        assertArrayEquals(Arrays.copyOfRange(expected, 100, 100 + 2 * GRAIN), r.get().data());
        assertEquals(0, r.get().missedBlocks());
    }

    @Test
    void readAsync_ofMissingBytes_completesWhenTheGetDoes_asAMiss() throws Exception {
        ObjectVersion object = put("b", 2 * GRAIN + 10);
        DiskExtentCache c = open(Duration.ofSeconds(60));
        store.setGetHook((key, offset, length) -> s3Answers.await());

        CompletableFuture<ExtentCache.CachedRead> r = c.readAsync(object, GRAIN - 5, GRAIN + 15);
        assertFalse(r.isDone(), "waits for the GET without a thread");
        s3Answers.countDown();
        ExtentCache.CachedRead read = r.get(30, TimeUnit.SECONDS);
        assertEquals(GRAIN + 15, read.data().length);
        assertEquals(3, read.missedBlocks(), "bytes 4091..8200 touch three blocks");
        assertTrue(read.waitNanos() > 0);
        store.setGetHook(null);
        assertArrayEquals(c.read(object, GRAIN - 5, GRAIN + 15), read.data());
    }

    @Test
    void readAsync_whoseGetOutlastsTheDemandTimeout_failsUnavailable() {
        ObjectVersion object = put("c", GRAIN);
        DiskExtentCache c = open(Duration.ofMillis(200));
        store.setGetHook((key, offset, length) -> s3Answers.await());

        CompletableFuture<ExtentCache.CachedRead> r = c.readAsync(object, 0, GRAIN);
        ExecutionException e = assertThrows(ExecutionException.class, () -> r.get(30, TimeUnit.SECONDS));
        ObjectStoreException cause = assertInstanceOf(ObjectStoreException.class, e.getCause());
        assertEquals(ObjectStoreException.Kind.UNAVAILABLE, cause.kind());
    }
}
