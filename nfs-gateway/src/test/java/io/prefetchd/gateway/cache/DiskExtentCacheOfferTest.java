package io.prefetchd.gateway.cache;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bytes offered to the cache (a file the gateway just uploaded) are read back without a GET. */
class DiskExtentCacheOfferTest {
    private static final int GRAIN = 4096;

    @TempDir
    Path dir;

    private InMemoryObjectStore store;
    private DiskExtentCache cache;
    private byte[] bytes;
    private ObjectVersion object;

    @BeforeEach
    void setUp() {
        ManualClock clock = new ManualClock(Instant.parse("2025-01-01T00:00:00Z"));
        store = new InMemoryObjectStore("bucket", clock);
        cache = DiskExtentCache.open(dir, 1 << 20, GRAIN, store, new SimpleMeterRegistry(), clock);
        bytes = new byte[3 * GRAIN + 100];
        new Random(3).nextBytes(bytes);
        String etag = store.put("models/ckpt.pt", bytes);
        object = new ObjectVersion("models/ckpt.pt", etag, bytes.length);
    }

    @AfterEach
    void tearDown() {
        cache.close();
        store.close();
    }

    @Test
    void offer_thenRead_sendsNoGet() {
        assertTrue(cache.offer(object, (offset, length) -> Arrays.copyOfRange(bytes, (int) offset,
                (int) offset + length)));

        assertArrayEquals(bytes, cache.read(object, 0, bytes.length));
        assertEquals(0, store.getCount());
    }

    @Test
    void offer_whoseSourceFails_leavesTheRestToBeFetched() {
        boolean cached = cache.offer(object, (offset, length) -> {
            if (offset >= GRAIN) {
                throw new IOException("staged file gone");
            }
            return Arrays.copyOfRange(bytes, (int) offset, (int) offset + length);
        });

        assertFalse(cached);
        assertArrayEquals(bytes, cache.read(object, 0, bytes.length));
    }
}
