package io.prefetchd.gateway.nfs.rpc;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.cache.DiskExtentCache;
import io.prefetchd.gateway.fs.MetadataSettings;
import io.prefetchd.gateway.fs.ReadObserver;
import io.prefetchd.gateway.fs.S3FileSystem;
import io.prefetchd.gateway.nfs.client.Nfs4Client;
import io.prefetchd.gateway.nfs.v4.AttributeEncoder;
import io.prefetchd.gateway.nfs.v4.CompoundProcessor;
import io.prefetchd.gateway.nfs.v4.FileHandles;
import io.prefetchd.gateway.nfs.v4.Nfs4Services;
import io.prefetchd.gateway.nfs.v4.NfsLimits;
import io.prefetchd.gateway.nfs.v4.NfsMetrics;
import io.prefetchd.gateway.nfs.v4.state.NfsState;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
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
 * A READ waiting on S3 holds no NFS worker: over a real socket, with every GET held on a latch and more such READs
 * outstanding than the server has workers, the READs of cached files from other clients and slots still complete;
 * and when S3 answers, every waiting READ gets its bytes. The waits below are bounds on a liveness check (a stuck
 * server fails the test instead of hanging it), not measurements.
 */
class SlowS3ReadsTest {
    private static final int WORKERS = 2;
    private static final int BLOCKED_READS = 3 * WORKERS;
    private static final long BOUND_SECONDS = 30;

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();
    private final InMemoryObjectStore store = new InMemoryObjectStore("bucket", clock);
    private final CountDownLatch s3Answers = new CountDownLatch(1);
    private final Semaphore getsStarted = new Semaphore(0);
    private final ExecutorService readers = Executors.newCachedThreadPool();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private NfsServer server;

    @BeforeEach
    void start() {
        DiskExtentCache cache = DiskExtentCache.open(dir, 64L << 20, DiskExtentCache.DEFAULT_GRAIN_BYTES, store,
                new SimpleMeterRegistry(), clock);
        FileHandles handles = new FileHandles("bucket/", null);
        S3FileSystem fs = new S3FileSystem(store, "", cache, handles::fileId,
                MetadataSettings.withTtl(Duration.ofSeconds(30)), clock, Runnable::run, new SimpleMeterRegistry());
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
        s3Answers.countDown();
        readers.shutdownNow();
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
        server.close();
        store.close();
    }

    private static byte[] bytes(int size, int seed) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    private Nfs4Client client(String name) {
        Nfs4Client c = Nfs4Client.connect("127.0.0.1", server.port(), name, 16);
        closing.add(c);
        return c;
    }

    @Test
    void cachedReads_complete_whileMoreMissesThanWorkersWaitOnS3() throws Exception {
        byte[] hot = bytes(200_000, 1);
        store.put("hot.bin", hot);
        byte[][] cold = new byte[BLOCKED_READS][];
        for (int i = 0; i < BLOCKED_READS; i++) {
            cold[i] = bytes(50_000, 100 + i);
            store.put("cold/" + i + ".bin", cold[i]);
        }
        Nfs4Client warm = client("warm");
        Nfs4Client.OpenFile hotFile = warm.open("/hot.bin");
        assertArrayEquals(hot, warm.readAll(hotFile, 1 << 20), "hot.bin read once, now cached");

        store.setGetHook((key, offset, length) -> {
            getsStarted.release();
            s3Answers.await();
        });
        Nfs4Client slow = client("slow");
        List<CompletableFuture<byte[]>> waiting = new ArrayList<>();
        for (int i = 0; i < BLOCKED_READS; i++) {
            Nfs4Client.OpenFile f = slow.open("/cold/" + i + ".bin");
            waiting.add(CompletableFuture.supplyAsync(() -> slow.read(f, 0, 1 << 20).data(), readers));
        }
        assertTrue(getsStarted.tryAcquire(BLOCKED_READS, BOUND_SECONDS, TimeUnit.SECONDS),
                "every uncached READ reached S3, though there are fewer workers than READs");

        Nfs4Client other = client("other");
        Nfs4Client.OpenFile mine = other.open("/hot.bin");
        List<CompletableFuture<byte[]>> cached = new ArrayList<>();
        for (int slot = 0; slot < 8; slot++) {
            int offset = slot * 25_000;
            cached.add(CompletableFuture.supplyAsync(() -> other.read(mine, offset, 25_000).data(), readers));
        }
        cached.add(CompletableFuture.supplyAsync(() -> warm.read(hotFile, 0, 1000).data(), readers));
        for (int i = 0; i < 8; i++) {
            assertArrayEquals(Arrays.copyOfRange(hot, i * 25_000, (i + 1) * 25_000),
                    cached.get(i).get(BOUND_SECONDS, TimeUnit.SECONDS), "cached READ " + i + " served while S3 stalls");
        }
        assertArrayEquals(Arrays.copyOf(hot, 1000), cached.get(8).get(BOUND_SECONDS, TimeUnit.SECONDS));
        assertTrue(waiting.stream().noneMatch(CompletableFuture::isDone), "the uncached READs still wait on S3");

        s3Answers.countDown();
        for (int i = 0; i < BLOCKED_READS; i++) {
            assertArrayEquals(cold[i], waiting.get(i).get(BOUND_SECONDS, TimeUnit.SECONDS),
                    "cold/" + i + ".bin once S3 answered");
        }
        assertEquals(0, registry.get("prefetchd.nfs.compounds.waiting").gauge().value(), "none waits any more");
    }
}
