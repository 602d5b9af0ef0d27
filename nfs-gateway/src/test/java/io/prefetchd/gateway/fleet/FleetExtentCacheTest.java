package io.prefetchd.gateway.fleet;

import io.grpc.Status;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.cache.CutSet;
import io.prefetchd.gateway.cache.ExtentCache;
import io.prefetchd.gateway.cache.ObjectVersion;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import io.prefetchd.gateway.s3.ObjectStoreException;
import io.prefetchd.gateway.testing.PassThroughCache;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FleetExtentCacheTest {
    private static final int GRAIN = 128 * 1024;
    private static final Peer B = new Peer("member-b", "127.0.0.1", 7001);

    private final InMemoryObjectStore store = new InMemoryObjectStore("data");
    private final byte[] bytes = pattern(5 * GRAIN + 1000);
    private final ObjectVersion object = new ObjectVersion("shard.tar", store.put("shard.tar", bytes), bytes.length);
    /** B's view of the same bucket, so that this member's GETs are counted apart. */
    private final InMemoryObjectStore storeB = new InMemoryObjectStore("data");
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    /** Odd grains are B's, even ones this member's. */
    private final Ownership oddToB = (o, grain) -> grain % 2 == 1 ? B : null;
    private final List<PeerProtocol.ReadRequest> asked = new ArrayList<>();

    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + (i >>> 9));
        }
        return b;
    }

    /** Peer reads answered by {@code answer} (B's cache, or a failure), recorded in {@link #asked}. */
    private FleetExtentCache cache(Ownership ownership,
                                   Function<PeerProtocol.ReadRequest, CompletableFuture<PeerProtocol.ReadReply>> answer) {
        PeerReads peers = (owner, request) -> {
            synchronized (asked) {
                asked.add(request);
            }
            return answer.apply(request);
        };
        return new FleetExtentCache(new PassThroughCache(store), ownership, peers, new FleetMetrics(registry), "data",
                null);
    }

    /** B answers from a cache of its own over the same bucket. */
    private CompletableFuture<PeerProtocol.ReadReply> fromB(PeerProtocol.ReadRequest r) {
        storeB.put("shard.tar", bytes);
        ExtentCache.CachedRead read = new PassThroughCache(storeB).readTracked(r.object(), r.offset(), r.length());
        return CompletableFuture.completedFuture(new PeerProtocol.ReadReply(read.data(), 0));
    }

    private double peerReads(String outcome) {
        return registry.get("prefetchd.fleet.peer.reads").tag("outcome", outcome).counter().count();
    }

    @Test
    void read_acrossOwners_returnsExactBytes_andAsksTheOwnerForItsGrainsOnly() {
        FleetExtentCache cache = cache(oddToB, this::fromB);

        byte[] got = cache.read(object, 100, 3 * GRAIN);   // grains 0 (here), 1 (B), 2 (here), 3 (B)

        assertArrayEquals(java.util.Arrays.copyOfRange(bytes, 100, 100 + 3 * GRAIN), got);
        assertEquals(List.of(new PeerProtocol.ReadRequest(object, GRAIN, GRAIN),
                new PeerProtocol.ReadRequest(object, 3L * GRAIN, 100)), asked);
        assertEquals(2, store.getCount(), "grains 0 and 2 from this member's cache, one GET each");
        assertEquals(2.0, peerReads("ok"));
    }

    @Test
    void read_ownedHere_neverAsksAPeer() {
        FleetExtentCache cache = cache((o, grain) -> null, this::fromB);

        assertArrayEquals(bytes, cache.read(object, 0, bytes.length));
        assertEquals(List.of(), asked);
    }

    @Test
    void runs_joinNeighbouringGrainsOfOneOwner() {
        FleetExtentCache cache = cache((o, grain) -> grain >= 2 ? B : null, this::fromB);

        assertEquals(List.of(new FleetExtentCache.Run(10, 2 * GRAIN - 10, null),
                        new FleetExtentCache.Run(2L * GRAIN, 3 * GRAIN + 1000, B)),
                cache.runs(object, 10, bytes.length - 10));
    }

    @Test
    void read_ownerUnreachable_readsFromS3Here_withExactBytes() {
        FleetExtentCache cache = cache(oddToB, r -> CompletableFuture.failedFuture(
                Status.UNAVAILABLE.withDescription("connection refused").asRuntimeException()));

        assertArrayEquals(bytes, cache.read(object, 0, bytes.length));
        assertEquals(3.0, peerReads("fallback"));
        assertEquals(6, store.getCount(), "every grain from S3 here: three own, three in place of B");
    }

    @Test
    void read_ownerRefusesTheToken_readsFromS3Here_andCountsItRefused() {
        FleetExtentCache cache = cache(oddToB, r -> CompletableFuture.failedFuture(
                Status.UNAUTHENTICATED.withDescription("wrong bearer token").asRuntimeException()));

        assertArrayEquals(bytes, cache.read(object, 0, bytes.length));
        assertEquals(3.0, peerReads("refused"));
        assertEquals(0.0, peerReads("fallback"));
    }

    @Test
    void read_ownerTimesOut_readsFromS3Here() {
        FleetExtentCache cache = cache(oddToB, r -> CompletableFuture.failedFuture(
                Status.DEADLINE_EXCEEDED.asRuntimeException()));

        assertArrayEquals(java.util.Arrays.copyOfRange(bytes, GRAIN, 2 * GRAIN), cache.read(object, GRAIN, GRAIN));
        assertEquals(1.0, peerReads("fallback"));
    }

    @Test
    void read_ownerSaysObjectChanged_failsAsS3Would() {
        FleetExtentCache cache = cache(oddToB, r -> CompletableFuture.failedFuture(
                Status.FAILED_PRECONDITION.withDescription("CHANGED").asRuntimeException()));

        ObjectStoreException e = assertThrows(ObjectStoreException.class, () -> cache.read(object, 0, 2 * GRAIN));
        assertEquals(ObjectStoreException.Kind.CHANGED, e.kind());
        assertEquals(1.0, peerReads("failed"));
    }

    @Test
    void read_ownerSendsShortReply_readsHere() {
        FleetExtentCache cache = cache(oddToB, r -> CompletableFuture.completedFuture(
                new PeerProtocol.ReadReply(new byte[r.length() - 1], 0)));

        assertArrayEquals(java.util.Arrays.copyOfRange(bytes, GRAIN, 2 * GRAIN), cache.read(object, GRAIN, GRAIN));
        assertEquals(1.0, peerReads("fallback"));
    }

    @Test
    void read_pastEnd_isEmpty() {
        FleetExtentCache cache = cache(oddToB, this::fromB);

        assertEquals(0, cache.read(object, bytes.length, 10).length);
        assertEquals(List.of(), asked);
    }

    @Test
    void prefetch_fetchesOnlyTheGrainsThisMemberOwns() {
        List<long[]> prefetched = new ArrayList<>();
        PassThroughCache plain = new PassThroughCache(store);
        ExtentCache local = new ExtentCache() {
            @Override
            public CachedRead readTracked(ObjectVersion o, long offset, int length) {
                return plain.readTracked(o, offset, length);
            }

            @Override
            public CompletableFuture<Void> prefetch(ObjectVersion o, long offset, long length, boolean hold) {
                prefetched.add(new long[] {offset, length});
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public void release(ObjectVersion o, long offset, long length, boolean drop) {
            }

            @Override
            public List<Range> cachedRanges(ObjectVersion o) {
                return List.of();
            }

            @Override
            public void cutAt(ObjectVersion o, CutSet offsets) {
            }

            @Override
            public int grainBytes() {
                return GRAIN;
            }

            @Override
            public io.prefetchd.gateway.cache.CacheStats stats() {
                return plain.stats();
            }

            @Override
            public void close() {
            }
        };
        FleetExtentCache cache = new FleetExtentCache(local, oddToB, (p, r) -> fromB(r), new FleetMetrics(registry),
                "data", null);

        cache.prefetch(object, 0, bytes.length, true).join();

        assertEquals(List.of("0+" + GRAIN, 2 * GRAIN + "+" + GRAIN, 4 * GRAIN + "+" + GRAIN),
                prefetched.stream().map(p -> p[0] + "+" + p[1]).toList());
        assertEquals(2.0 * GRAIN + 1000, registry.get("prefetchd.fleet.prefetch.skipped.bytes").counter().count());
    }
}
