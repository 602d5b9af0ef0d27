package io.prefetchd.gateway.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.s3.ObjectStoreException;
import io.prefetchd.gateway.s3.ObjectStoreException.Kind;
import io.prefetchd.gateway.s3.S3ObjectStore;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link DiskExtentCache} over the real {@link S3ObjectStore} talking to an in-process S3Proxy. */
class DiskExtentCacheIT {
    private static final String BUCKET = "cache-it";
    private static final int GRAIN = 128 * 1024;
    private static final long CAPACITY = 64L * 1024 * 1024;
    private static S3ProxyFixture s3;

    @TempDir
    Path dir;

    private SimpleMeterRegistry registry;
    private S3ObjectStore store;

    @BeforeAll
    static void startS3() {
        s3 = S3ProxyFixture.start();
        s3.createBucket(BUCKET);
    }

    @AfterAll
    static void stopS3() {
        s3.close();
    }

    @BeforeEach
    void setUp() {
        registry = new SimpleMeterRegistry();
        store = s3.openStore(BUCKET, registry);
    }

    @AfterEach
    void tearDown() {
        store.close();
    }

    private DiskExtentCache open() {
        return DiskExtentCache.open(dir, CAPACITY, GRAIN, store, registry, Clock.systemUTC());
    }

    private double gets() {
        Counter ok = registry.find("prefetchd.s3.requests").tags("op", "get", "outcome", "ok").counter();
        return ok == null ? 0 : ok.count();
    }

    private static byte[] bytes(int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }

    private static byte[] slice(byte[] data, long offset, int length) {
        return Arrays.copyOfRange(data, (int) Math.min(offset, data.length), (int) Math.min(data.length, offset + length));
    }

    @Test
    void read_throughS3_exactBytesCoalescedGetsAndNoGetsAfterRestart() {
        byte[] data = bytes(3 * 1024 * 1024 + 4321, 1);
        ObjectVersion object = new ObjectVersion("shards/shard-000.tar", s3.put(BUCKET, "shards/shard-000.tar", data),
                data.length);
        Random random = new Random(3);
        List<long[]> ranges = new ArrayList<>();
        try (DiskExtentCache cache = open()) {
            assertArrayEquals(slice(data, 0, 1024 * 1024), cache.read(object, 0, 1024 * 1024));
            assertEquals(1.0, gets(), "eight missing 128 KiB blocks are one GET");
            for (int i = 0; i < 40; i++) {
                long offset = random.nextInt(data.length + GRAIN);
                int length = random.nextInt(3 * GRAIN);
                ranges.add(new long[] {offset, length});
                assertArrayEquals(slice(data, offset, length), cache.read(object, offset, length));
            }
        }
        double getsBeforeRestart = gets();

        try (DiskExtentCache reopened = open()) {
            for (long[] range : ranges) {
                assertArrayEquals(slice(data, range[0], (int) range[1]), reopened.read(object, range[0], (int) range[1]));
            }
            assertEquals(getsBeforeRestart, gets(), "a restarted cache serves what it had without GETs");
            assertEquals(0, reopened.stats().misses());
        }
    }

    @Test
    void read_concurrentReadersThroughS3_oneGetPerBlock() throws Exception {
        byte[] data = bytes(8 * GRAIN, 2);
        ObjectVersion object = new ObjectVersion("concurrent.bin", s3.put(BUCKET, "concurrent.bin", data), data.length);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try (DiskExtentCache cache = open()) {
            List<Future<byte[]>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(pool.submit(() -> cache.read(object, 0, data.length)));
            }
            for (Future<byte[]> result : results) {
                assertArrayEquals(data, result.get(30, TimeUnit.SECONDS));
            }
            assertEquals(1.0, gets());
            assertEquals((double) data.length, registry.get("prefetchd.s3.bytes").counter().count());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void read_afterObjectIsOverwritten_oldVersionIsChangedAndNewVersionHasNewBytes() {
        byte[] v1 = bytes(2 * GRAIN, 3);
        byte[] v2 = bytes(2 * GRAIN, 4);
        ObjectVersion first = new ObjectVersion("overwritten.bin", s3.put(BUCKET, "overwritten.bin", v1), v1.length);
        try (DiskExtentCache cache = open()) {
            assertArrayEquals(slice(v1, 0, GRAIN), cache.read(first, 0, GRAIN));
            ObjectVersion second = new ObjectVersion("overwritten.bin", s3.put(BUCKET, "overwritten.bin", v2), v2.length);

            ObjectStoreException e = assertThrows(ObjectStoreException.class, () -> cache.read(first, GRAIN, GRAIN));
            assertEquals(Kind.CHANGED, e.kind());
            assertArrayEquals(v2, cache.read(second, 0, v2.length));
            assertArrayEquals(slice(v1, 0, GRAIN), cache.read(first, 0, GRAIN), "cached v1 blocks stay v1");
        }
    }

    @Test
    void read_deletedObject_isNotFound() {
        byte[] data = bytes(1000, 5);
        ObjectVersion object = new ObjectVersion("deleted.bin", s3.put(BUCKET, "deleted.bin", data), data.length);
        s3.delete(BUCKET, "deleted.bin");
        try (DiskExtentCache cache = open()) {
            assertEquals(Kind.NOT_FOUND,
                    assertThrows(ObjectStoreException.class, () -> cache.read(object, 0, 10)).kind());
        }
    }
}
