package io.prefetchd.gateway.nfs.rpc;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.cache.DiskExtentCache;
import io.prefetchd.gateway.fs.MetadataSettings;
import io.prefetchd.gateway.fs.ReadObserver;
import io.prefetchd.gateway.fs.S3FileSystem;
import io.prefetchd.gateway.nfs.client.CompoundReply;
import io.prefetchd.gateway.nfs.client.Nfs4Client;
import io.prefetchd.gateway.nfs.v4.AttributeEncoder;
import io.prefetchd.gateway.nfs.v4.CompoundProcessor;
import io.prefetchd.gateway.nfs.v4.FileHandles;
import io.prefetchd.gateway.nfs.v4.Nfs4Services;
import io.prefetchd.gateway.nfs.v4.NfsLimits;
import io.prefetchd.gateway.nfs.v4.NfsMetrics;
import io.prefetchd.gateway.nfs.v4.state.NfsState;
import io.prefetchd.gateway.nfs.xdr.Attr;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import io.prefetchd.gateway.s3.ListPage;
import io.prefetchd.gateway.s3.ObjectMeta;
import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.testing.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LOOKUP, GETATTR and OPEN of names no held listing answers hold no NFS worker while S3 answers their HEAD or LIST:
 * over a real socket, with every HEAD and LIST held on a latch and more such misses outstanding than the server has
 * workers, LOOKUPs in a listed directory and READs of a cached file from another client still complete; once S3
 * answers, every miss gets its answer. The waits below are bounds on a liveness check, not measurements.
 */
class SlowS3MetadataTest {
    private static final int WORKERS = 2;
    private static final int MISSES = 3 * WORKERS;
    private static final long BOUND_SECONDS = 30;

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();
    private final InMemoryObjectStore store = new InMemoryObjectStore("bucket", clock);
    private final HeldMetadata held = new HeldMetadata(store);
    private final ExecutorService metadataThreads = Executors.newCachedThreadPool();
    private final ExecutorService callers = Executors.newCachedThreadPool();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private NfsServer server;

    /** The store, with HEAD and LIST held on a latch once {@link #hold} is called. */
    private static final class HeldMetadata implements ObjectStore {
        private final ObjectStore store;
        private final CountDownLatch answers = new CountDownLatch(1);
        private final Semaphore heads = new Semaphore(0);
        private volatile boolean holding;

        HeldMetadata(ObjectStore store) {
            this.store = store;
        }

        void hold() {
            holding = true;
        }

        void answer() {
            answers.countDown();
        }

        private void await() {
            if (holding) {
                try {
                    answers.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public String bucket() {
            return store.bucket();
        }

        @Override
        public Optional<ObjectMeta> head(String key) {
            if (holding) {
                heads.release();
            }
            await();
            return store.head(key);
        }

        @Override
        public ListPage list(String prefix, String delimiter, String continuationToken, int maxKeys) {
            await();
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

    @BeforeEach
    void start() {
        DiskExtentCache cache = DiskExtentCache.open(dir, 64L << 20, DiskExtentCache.DEFAULT_GRAIN_BYTES, store,
                new SimpleMeterRegistry(), clock);
        FileHandles handles = new FileHandles("bucket/", null);
        S3FileSystem fs = new S3FileSystem(held, "", cache, handles::fileId,
                MetadataSettings.withTtl(Duration.ofSeconds(30)), clock, metadataThreads, new SimpleMeterRegistry());
        Duration lease = Duration.ofSeconds(60);
        NfsLimits limits = NfsLimits.defaults();
        Nfs4Services services = new Nfs4Services(fs, handles, new NfsState(clock, lease),
                new AttributeEncoder(handles, fs, lease, limits), limits, clock, "test".getBytes(), ReadObserver.NONE);
        NfsMetrics metrics = new NfsMetrics(registry);
        ExecutorService workers = NfsServer.workerPool(WORKERS);
        server = new NfsServer("127.0.0.1", 0, workers, NfsServer.ConnectionLimits.defaults(),
                new Nfs4RpcService(new CompoundProcessor(services, metrics, workers), metrics), metrics).start();
        closing.add(cache);
    }

    @AfterEach
    void stop() throws Exception {
        held.answer();
        callers.shutdownNow();
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
        server.close();
        metadataThreads.shutdownNow();
        store.close();
    }

    private Nfs4Client client(String name) {
        Nfs4Client c = Nfs4Client.connect("127.0.0.1", server.port(), name, 16);
        closing.add(c);
        return c;
    }

    private static byte[] bytes(int size, int seed) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    @Test
    void cachedLookupsAndReads_complete_whileMoreMetadataMissesThanWorkersWaitOnS3() throws Exception {
        byte[] hot = bytes(100_000, 1);
        store.put("hot.bin", hot);
        for (int i = 0; i < 10; i++) {
            store.put("listed/" + i + ".bin", bytes(10 + i, i));
            store.put("cold/" + i + ".bin", bytes(100 + i, i));
        }
        Nfs4Client warm = client("warm");
        Nfs4Client.OpenFile hotFile = warm.open("/hot.bin");
        assertArrayEquals(hot, warm.readAll(hotFile, 1 << 20), "hot.bin read once, now cached");
        byte[] listed = warm.lookup("/listed");
        Nfs4Client.expectOk(warm.call(b -> b.putfh(listed).readdir(0, 0, 8192, 32768, Attr.TYPE)));
        byte[] cold = warm.lookup("/cold");

        held.hold();
        Nfs4Client slow = client("slow");
        List<CompletableFuture<Long>> opens = new ArrayList<>();
        for (int i = 0; i < MISSES / 2; i++) {
            String path = "/cold/" + i + ".bin";
            opens.add(CompletableFuture.supplyAsync(() -> slow.open(path).size(), callers));
        }
        List<CompletableFuture<byte[]>> lookups = new ArrayList<>();
        for (int i = MISSES / 2; i < MISSES; i++) {
            String path = "/cold/" + i + ".bin";
            lookups.add(CompletableFuture.supplyAsync(() -> slow.lookup(path), callers));
        }
        List<CompletableFuture<CompoundReply>> dirAttrs = new ArrayList<>();
        for (int i = 0; i < WORKERS; i++) {
            dirAttrs.add(CompletableFuture.supplyAsync(() -> slow.call(b -> b.putfh(cold).getattr(Attr.TYPE,
                    Attr.CHANGE)), callers));
        }
        assertTrue(held.heads.tryAcquire(MISSES, BOUND_SECONDS, TimeUnit.SECONDS),
                "every missing name reached S3, though there are fewer workers than misses");

        Nfs4Client other = client("other");
        List<CompletableFuture<byte[]>> cached = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            String path = "/listed/" + i + ".bin";
            cached.add(CompletableFuture.supplyAsync(() -> other.lookup(path), callers));
        }
        for (int i = 0; i < 10; i++) {
            int offset = i * 10_000;
            cached.add(CompletableFuture.supplyAsync(() -> warm.read(hotFile, offset, 10_000).data(), callers));
        }
        for (int i = 0; i < 10; i++) {
            assertEquals(warm.lookup("/listed/" + i + ".bin").length,
                    cached.get(i).get(BOUND_SECONDS, TimeUnit.SECONDS).length, "listed LOOKUP " + i);
            assertArrayEquals(Arrays.copyOfRange(hot, i * 10_000, (i + 1) * 10_000),
                    cached.get(10 + i).get(BOUND_SECONDS, TimeUnit.SECONDS), "cached READ " + i);
        }
        assertTrue(opens.stream().noneMatch(CompletableFuture::isDone), "the OPENs still wait on S3");
        assertTrue(lookups.stream().noneMatch(CompletableFuture::isDone), "the LOOKUPs still wait on S3");
        assertTrue(dirAttrs.stream().noneMatch(CompletableFuture::isDone), "the GETATTRs still wait on S3");

        held.answer();
        for (int i = 0; i < opens.size(); i++) {
            assertEquals(100 + i, opens.get(i).get(BOUND_SECONDS, TimeUnit.SECONDS), "cold/" + i + ".bin opened");
        }
        for (CompletableFuture<byte[]> l : lookups) {
            assertTrue(l.get(BOUND_SECONDS, TimeUnit.SECONDS).length > 0);
        }
        for (CompletableFuture<CompoundReply> g : dirAttrs) {
            assertEquals(NfsStatus.NFS4_OK, g.get(BOUND_SECONDS, TimeUnit.SECONDS).status());
        }
    }
}
