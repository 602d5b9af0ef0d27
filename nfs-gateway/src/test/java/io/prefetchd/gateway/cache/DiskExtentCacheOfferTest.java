package io.prefetchd.gateway.cache;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
    void offer_keepsNoBlockOnTheHeapOnceItIsOnDisk() {
        List<WeakReference<byte[]>> given = new ArrayList<>();
        List<Boolean> earlierCollected = new ArrayList<>();
        assertTrue(cache.offer(object, (offset, length) -> {
            if (offset == 3 * GRAIN) {   // blocks 0 and 1 are on disk; block 2 may still be the caller's local
                earlierCollected.add(collected(given.subList(0, 2)));
            }
            byte[] block = Arrays.copyOfRange(bytes, (int) offset, (int) offset + length);
            given.add(new WeakReference<>(block));
            return block;
        }));

        // an object offered whole would otherwise need as much heap as it is large (a checkpoint just uploaded)
        assertEquals(List.of(true), earlierCollected, "the first two blocks' bytes were still reachable");
        assertArrayEquals(bytes, cache.read(object, 0, bytes.length));
        assertEquals(0, store.getCount());
    }

    /** Whether the collector clears every one of {@code refs} (a few full collections at most). */
    private static boolean collected(List<WeakReference<byte[]>> refs) {
        for (int i = 0; i < 20; i++) {
            if (refs.stream().allMatch(r -> r.get() == null)) {
                return true;
            }
            System.gc();
        }
        return refs.stream().allMatch(r -> r.get() == null);
    }

    @Test
    void offer_cutShortByAnError_leavesNoBlockInFlight_soReadsFetchTheRest() {
        OutOfMemoryError thrown = assertThrows(OutOfMemoryError.class, () -> cache.offer(object, (offset, length) -> {
            if (offset >= GRAIN) {
                throw new OutOfMemoryError("Java heap space");
            }
            return Arrays.copyOfRange(bytes, (int) offset, (int) offset + length);
        }));
        assertEquals("Java heap space", thrown.getMessage());

        // a block left claimed would make this read wait for bytes no GET was sent for
        assertArrayEquals(bytes, cache.read(object, 0, bytes.length));
        assertEquals(1, store.getCount(), "the three blocks after the first came from S3, in one ranged GET");
    }

    @Test
    void carry_ofAnObjectCachedWhole_cachesItsCopyFromDisk_andDropsTheSource() throws InterruptedException {
        cache.read(object, 0, bytes.length);
        assertTrue(cache.awaitIdle(Duration.ofSeconds(30)), "the blocks read are on disk");
        store.resetCounters();
        ObjectVersion copy = new ObjectVersion("models/final.pt", "copy-etag", bytes.length);

        assertTrue(cache.carry(object, copy));

        assertEquals(List.of(), cache.cachedRanges(object));
        assertArrayEquals(bytes, cache.read(copy, 0, bytes.length));
        assertEquals(0, store.getCount(), "the copy's bytes came from the source's blocks on disk");
    }

    @Test
    void carry_ofAnObjectCachedInPart_cachesNothing_andDropsTheSource() throws InterruptedException {
        cache.read(object, 0, GRAIN);
        assertTrue(cache.awaitIdle(Duration.ofSeconds(30)), "the block read is on disk");
        store.resetCounters();
        ObjectVersion copy = new ObjectVersion("models/final.pt", "copy-etag", bytes.length);

        assertFalse(cache.carry(object, copy));

        assertEquals(0, store.getCount());
        assertEquals(List.of(), cache.cachedRanges(object));
        assertEquals(List.of(), cache.cachedRanges(copy));
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
