package io.prefetchd.gateway.fleet;

import io.grpc.Status;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import io.prefetchd.gateway.s3.ObjectStoreException;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HandoverStoreTest {
    private static final int GRAIN = 128 * 1024;
    private static final Peer A = new Peer("member-a", "127.0.0.1", 7001);

    private final InMemoryObjectStore s3 = new InMemoryObjectStore("data");
    private final byte[] bytes = pattern(5 * GRAIN + 1000);
    private final String etag = s3.put("shard.tar", bytes);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<PeerProtocol.ReadRequest> asked = new ArrayList<>();

    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + (i >>> 9));
        }
        return b;
    }

    /** Grains 1 and 2 moved here from A; A answers with {@code answer}. */
    private HandoverStore store(Function<PeerProtocol.ReadRequest, CompletableFuture<PeerProtocol.ReadReply>> answer) {
        Ownership moved = new Ownership() {
            @Override
            public @Nullable Peer remoteOwner(io.prefetchd.gateway.cache.ObjectVersion object, long grain) {
                return null;
            }

            @Override
            public @Nullable Peer previousOwner(String key, String etag, long grain) {
                return grain == 1 || grain == 2 ? A : null;
            }

            @Override
            public boolean anyMovedHere() {
                return true;
            }
        };
        HandoverStore store = new HandoverStore(s3);
        store.handOverFrom(moved, (owner, request) -> {
            asked.add(request);
            return answer.apply(request);
        }, new FleetMetrics(registry), GRAIN);
        return store;
    }

    /** A holding every byte of the object. */
    private CompletableFuture<PeerProtocol.ReadReply> holds(PeerProtocol.ReadRequest r) {
        byte[] b = Arrays.copyOfRange(bytes, (int) r.offset(), (int) r.offset() + r.length());
        return CompletableFuture.completedFuture(new PeerProtocol.ReadReply(b, 0));
    }

    private double counter(String name) {
        var c = registry.find(name).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void movedGrains_comeFromThePreviousOwner_cachedOnly_theRestFromS3() {
        HandoverStore store = store(this::holds);

        byte[] got = store.getRange("shard.tar", etag, 1000, 4 * GRAIN).join();

        assertArrayEquals(Arrays.copyOfRange(bytes, 1000, 1000 + 4 * GRAIN), got);
        assertEquals(List.of(new PeerProtocol.ReadRequest(new io.prefetchd.gateway.cache.ObjectVersion("shard.tar",
                etag, 3L * GRAIN), GRAIN, 2 * GRAIN, true)), asked);
        assertEquals(2, s3.getCount(), "the runs before and after the moved grains");
        assertEquals(2.0 * GRAIN, counter("prefetchd.fleet.handover.bytes"));
    }

    @Test
    void previousOwnerWithout_theBytes_costsOneS3Get() {
        HandoverStore store = store(r -> CompletableFuture.failedFuture(
                PeerProtocol.NOT_CACHED.asRuntimeException()));

        byte[] got = store.getRange("shard.tar", etag, GRAIN, 2 * GRAIN).join();

        assertArrayEquals(Arrays.copyOfRange(bytes, GRAIN, 3 * GRAIN), got);
        assertEquals(1, s3.getCount());
        assertEquals(1.0, counter("prefetchd.fleet.handover.misses"));
    }

    @Test
    void previousOwnerUnreachable_orShort_readsFromS3() {
        HandoverStore unreachable = store(r -> CompletableFuture.failedFuture(
                Status.UNAVAILABLE.asRuntimeException()));
        HandoverStore shortAnswer = store(r -> CompletableFuture.completedFuture(new PeerProtocol.ReadReply(
                new byte[10], 0)));

        assertArrayEquals(Arrays.copyOfRange(bytes, 0, 5 * GRAIN), unreachable.getRange("shard.tar", etag, 0,
                5 * GRAIN).join());
        assertArrayEquals(Arrays.copyOfRange(bytes, GRAIN, 2 * GRAIN), shortAnswer.getRange("shard.tar", etag, GRAIN,
                GRAIN).join());
        assertEquals(2.0, counter("prefetchd.fleet.handover.misses"));
    }

    @Test
    void changedObject_failsAsS3Says_evenAfterAMiss() {
        HandoverStore store = store(r -> CompletableFuture.failedFuture(
                PeerProtocol.NOT_CACHED.asRuntimeException()));
        s3.put("shard.tar", pattern(100));

        CompletionException e = assertThrows(CompletionException.class,
                () -> store.getRange("shard.tar", etag, 0, 3 * GRAIN).join());

        assertInstanceOf(ObjectStoreException.class, e.getCause());
        assertEquals(ObjectStoreException.Kind.CHANGED, ((ObjectStoreException) e.getCause()).kind());
    }

    @Test
    void rangePastTheEnd_returnsTheBytesUpToTheEnd() {
        HandoverStore store = store(this::holds);

        byte[] got = store.getRange("shard.tar", etag, 2 * GRAIN, 4 * GRAIN).join();

        assertArrayEquals(Arrays.copyOfRange(bytes, 2 * GRAIN, bytes.length), got);
    }

    @Test
    void beforeJoiningAFleet_everythingGoesToS3() {
        HandoverStore store = new HandoverStore(s3);

        assertArrayEquals(bytes, store.getRange("shard.tar", etag, 0, bytes.length).join());
        assertEquals(1, s3.getCount());
        assertTrue(asked.isEmpty());
    }
}
