package io.prefetchd.gateway.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.prefetchd.gateway.s3.ObjectStoreException.Kind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class InMemoryObjectStoreTest extends ObjectStoreContract {
    private InMemoryObjectStore store;

    @BeforeEach
    void setUp() {
        store = new InMemoryObjectStore("contract-bucket");
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
        return store.put(key, bytes);
    }

    @Override
    protected void delete(String key) {
        store.delete(key);
    }

    @Test
    void put_etagIsHexMd5() {
        assertEquals("900150983cd24fb0d6963f7d28e17f72", store.put("abc", "abc".getBytes()));
    }

    @Test
    void getRange_countsGetsAndBytes() throws Exception {
        String etag = store.put("x", new byte[1000]);

        store.getRange("x", etag, 0, 600).get(5, TimeUnit.SECONDS);
        store.getRange("x", etag, 900, 600).get(5, TimeUnit.SECONDS);

        assertEquals(2, store.getCount());
        assertEquals(700, store.getBytes());
    }

    @Test
    void failNextGets_failsThatManyGetsWithThatKind() throws Exception {
        String etag = store.put("x", new byte[10]);
        store.failNextGets(2, Kind.THROTTLED);

        assertEquals(Kind.THROTTLED, failure(store.getRange("x", etag, 0, 1)).kind());
        assertEquals(Kind.THROTTLED, failure(store.getRange("x", etag, 0, 1)).kind());
        assertArrayEquals(new byte[1], store.getRange("x", etag, 0, 1).get(5, TimeUnit.SECONDS));
    }

    @Test
    void failNextWrites_failsThatManyWritesWithThatKindAndChangesNothing() throws Exception {
        Path file = tmp.resolve("f");
        Files.write(file, new byte[] {1, 2});
        store.failNextWrites(2, Kind.UNAVAILABLE);

        assertEquals(Kind.UNAVAILABLE, failure(store.upload("k", file, Map.of(), false, null)).kind());
        assertEquals(Kind.UNAVAILABLE, assertThrows(ObjectStoreException.class, () -> store.delete("k")).kind());
        assertEquals(Optional.empty(), store.head("k"));
        store.upload("k", file, Map.of(), false, null).get(5, TimeUnit.SECONDS);

        assertArrayEquals(new byte[] {1, 2}, store.contents("k").orElseThrow());
        assertEquals(3, store.writeCount());
    }

    @Test
    void upload_whileUnreachable_failsUnreachable() throws Exception {
        Path file = tmp.resolve("f");
        Files.write(file, new byte[1]);
        store.setUnreachable(true);

        assertEquals(Kind.UNREACHABLE, failure(store.upload("k", file, Map.of(), false, null)).kind());
        assertEquals(Kind.UNREACHABLE, assertThrows(ObjectStoreException.class, () -> store.copy("a", "e", "b")).kind());
    }

    @Test
    void upload_metadataNames_areLowerCased() throws Exception {
        Path file = tmp.resolve("f");
        Files.write(file, new byte[1]);

        store.upload("k", file, Map.of("UID", "1"), false, null).get(5, TimeUnit.SECONDS);

        assertEquals(Optional.of(Map.of("uid", "1")), store.userMetadata("k"));
    }

    @Test
    void getHook_blocksGetUntilReleased() throws Exception {
        String etag = store.put("x", new byte[] {7});
        CountDownLatch arrived = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        store.setGetHook((key, offset, length) -> {
            arrived.countDown();
            release.await();
        });

        CompletableFuture<byte[]> pending = store.getRange("x", etag, 0, 1);
        arrived.await();
        assertEquals(false, pending.isDone());
        release.countDown();

        assertArrayEquals(new byte[] {7}, pending.get(5, TimeUnit.SECONDS));
    }
}
