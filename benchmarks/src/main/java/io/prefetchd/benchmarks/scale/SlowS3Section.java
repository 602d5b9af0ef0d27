package io.prefetchd.benchmarks.scale;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.cache.DiskExtentCache;
import io.prefetchd.gateway.fs.DirListing;
import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.FsStats;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.MetadataSettings;
import io.prefetchd.gateway.fs.ReadObserver;
import io.prefetchd.gateway.fs.ReadResult;
import io.prefetchd.gateway.fs.S3FileSystem;
import io.prefetchd.gateway.fs.VirtualFileSystem;
import io.prefetchd.gateway.nfs.client.Nfs4Client;
import io.prefetchd.gateway.nfs.rpc.Nfs4RpcService;
import io.prefetchd.gateway.nfs.rpc.NfsServer;
import io.prefetchd.gateway.nfs.v4.AttributeEncoder;
import io.prefetchd.gateway.nfs.v4.CompoundProcessor;
import io.prefetchd.gateway.nfs.v4.FileHandles;
import io.prefetchd.gateway.nfs.v4.Nfs4Services;
import io.prefetchd.gateway.nfs.v4.NfsLimits;
import io.prefetchd.gateway.nfs.v4.NfsMetrics;
import io.prefetchd.gateway.nfs.v4.state.NfsState;
import io.prefetchd.gateway.nfs.xdr.StateId;
import io.prefetchd.gateway.s3.InMemoryObjectStore;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static java.util.Objects.requireNonNull;

/**
 * Question: while S3 is slow, do reads of cached data stay fast, for every connection?
 *
 * <p>Setup: the NFS server in this JVM with {@code workers} worker threads (the gateway's default 32 at the full
 * size), over the disk extent cache and an in-memory object store whose GETs take {@code getDelay} (the store's own
 * threads wait, as a network would); {@code connections} clients, each its own TCP connection and NFSv4.1 session
 * with 16 slots. On each connection, {@code cachedReaders} readers issue 64 KiB READs of cached files back to back
 * (a random file of 16, a random aligned offset), and {@code missReaders} readers each issue a 16 KiB READ of data
 * never read before every {@code getDelay}. At the full size that is 64 connections with all 16 slots busy (12
 * cached, 4 uncached), and 256 READs waiting on S3 at every moment: eight times the workers. READs use the anonymous
 * stateid, so no OPEN is measured.
 *
 * <p>Three phases in the same run, after a first pass with S3 fast that only warms up the JVM: S3 fast (GETs
 * answered at once, misses offered at the same rate) is the baseline; then GETs taking {@code getDelay}; then the same with READs that miss holding their worker until the GET
 * returns, as the gateway did before (a file-system switch, everything else the same). Each phase warms up, then
 * records every cached READ's latency for {@code measure}. Figures: cached READ p50 and p99 in each phase, the ratio
 * of slow to fast p99, the latency of the misses (close to {@code getDelay} when they really waited on S3), and
 * fairness: the fewest cached READs one connection got done in the slow phase over the most. Client and server
 * share the machine's cores, so absolute latencies say as much about the machine as about the server; the ratios
 * to the baseline are the figures to read.
 *
 * <p>Rerun: {@code benchmarks/run-scale --only read} ({@code --size quick} for a few seconds).
 */
public final class SlowS3Section implements ScaleSection {
    static final int HOT_FILES = 16;
    static final int HOT_FILE_BYTES = 1 << 20;
    static final int HOT_READ = 64 << 10;
    static final int MISS_READ = 16 << 10;
    static final int COLD_FILE_BYTES = 1 << 20;

    /** How big a run is. */
    record Shape(int connections, int cachedReaders, int missReaders, int workers, Duration getDelay,
                 Duration warmup, Duration measure) {
        Shape {
            requireNonNull(getDelay, "getDelay is null");
            requireNonNull(warmup, "warmup is null");
            requireNonNull(measure, "measure is null");
        }

        static Shape of(ScaleSize size) {
            return size == ScaleSize.FULL
                    ? new Shape(64, 12, 4, 32, Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(20))
                    : new Shape(4, 2, 2, 4, Duration.ofMillis(200), Duration.ofMillis(400), Duration.ofMillis(1500));
        }

        /** Cold files enough for every phase's misses, with room to spare. */
        int coldFiles() {
            double seconds = 4 * (warmup.toMillis() + measure.toMillis() + getDelay.toMillis()) / 1000.0;
            double misses = connections * missReaders * seconds / (getDelay.toMillis() / 1000.0);
            return (int) Math.ceil(misses * 1.5 / (COLD_FILE_BYTES / MISS_READ)) + 1;
        }
    }

    @Override
    public String name() {
        return "read";
    }

    @Override
    public List<ScaleFigure> run(ScaleSize size, Path work, PrintStream progress) throws Exception {
        Shape shape = Shape.of(size);
        try (Rig rig = new Rig(work, shape)) {
            progress.printf(Locale.ROOT, "%d connections x (%d cached + %d uncached readers), %d workers, %d cold files%n",
                    shape.connections(), shape.cachedReaders(), shape.missReaders(), shape.workers(), shape.coldFiles());
            rig.phase(Duration.ZERO, false, progress);   // warms the JIT, threads and page cache; not reported
            Phase fast = rig.phase(Duration.ZERO, false, progress);
            Phase slow = rig.phase(shape.getDelay(), false, progress);
            Phase blocking = rig.phase(shape.getDelay(), true, progress);
            String slowNote = "GETs take " + shape.getDelay().toMillis() + " ms; " + shape.connections()
                    + " connections, " + shape.connections() * shape.missReaders() + " READs waiting on S3";
            return List.of(
                    new ScaleFigure("read.cached_p50_ms", slow.cachedPercentileMs(50), "ms", slowNote),
                    new ScaleFigure("read.cached_p99_ms", slow.cachedPercentileMs(99), "ms", slowNote),
                    new ScaleFigure("read.fast_s3_cached_p50_ms", fast.cachedPercentileMs(50), "ms",
                            "baseline: the same load with GETs answered at once"),
                    new ScaleFigure("read.fast_s3_cached_p99_ms", fast.cachedPercentileMs(99), "ms",
                            "baseline: the same load with GETs answered at once"),
                    new ScaleFigure("read.cached_p99_slow_over_fast", slow.cachedPercentileMs(99)
                            / Math.max(1e-3, fast.cachedPercentileMs(99)), "ratio", "1.0: slow S3 costs cached reads nothing"),
                    new ScaleFigure("read.cached_reads_per_second", slow.cachedPerSecond(), "ops/s",
                            "cached READs completed per second while S3 is slow"),
                    new ScaleFigure("read.fast_s3_cached_reads_per_second", fast.cachedPerSecond(), "ops/s",
                            "baseline"),
                    new ScaleFigure("read.uncached_p50_ms", slow.missPercentileMs(50), "ms",
                            "READs of data not cached: about the GET's delay when they waited on S3"),
                    new ScaleFigure("read.connection_fairness", slow.fairness(), "ratio",
                            "cached READs of the slowest connection over the fastest's, slow phase"),
                    new ScaleFigure("read.blocking_cached_p50_ms", blocking.cachedPercentileMs(50), "ms",
                            "as before: a READ that misses holds its worker until the GET returns"),
                    new ScaleFigure("read.blocking_cached_p99_ms", blocking.cachedPercentileMs(99), "ms",
                            "as before: a READ that misses holds its worker until the GET returns"));
        }
    }

    /** What one phase measured. */
    record Phase(long[] cachedNanos, long[] missNanos, long[] perConnection, Duration measured) {
        double cachedPercentileMs(int p) {
            return percentile(cachedNanos, p) / 1e6;
        }

        double missPercentileMs(int p) {
            return percentile(missNanos, p) / 1e6;
        }

        double cachedPerSecond() {
            return cachedNanos.length / (measured.toNanos() / 1e9);
        }

        double fairness() {
            long min = Arrays.stream(perConnection).min().orElse(0);
            long max = Arrays.stream(perConnection).max().orElse(0);
            return max == 0 ? 0 : (double) min / max;
        }

        private static double percentile(long[] sorted, int p) {
            if (sorted.length == 0) {
                return Double.NaN;
            }
            int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
            return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
        }
    }

    /** The server, its store and cache, and the clients. */
    private static final class Rig implements AutoCloseable {
        private final Shape shape;
        private final InMemoryObjectStore store = new InMemoryObjectStore("bench", Clock.systemUTC());
        private final DiskExtentCache cache;
        private final NfsServer server;
        private final List<Nfs4Client> clients = new ArrayList<>();
        private final List<Nfs4Client.OpenFile> hot = new ArrayList<>();
        private final List<Nfs4Client.OpenFile> cold = new ArrayList<>();
        private final AtomicLong nextMiss = new AtomicLong();
        private final SwitchableReads fs;
        private volatile long getDelayNanos;

        Rig(Path work, Shape shape) {
            this.shape = shape;
            Random random = new Random(42);
            for (int i = 0; i < HOT_FILES; i++) {
                byte[] b = new byte[HOT_FILE_BYTES];
                random.nextBytes(b);
                store.put("hot/" + i + ".bin", b);
            }
            byte[] coldBytes = new byte[COLD_FILE_BYTES];
            random.nextBytes(coldBytes);
            for (int i = 0; i < shape.coldFiles(); i++) {
                coldBytes[0] = (byte) i;
                store.put("cold/" + i + ".bin", coldBytes);
            }
            store.setGetHook((key, offset, length) -> {
                long until = System.nanoTime() + getDelayNanos;
                for (long rest = getDelayNanos; rest > 0; rest = until - System.nanoTime()) {
                    LockSupport.parkNanos(rest);   // the emulated S3's own thread waits, as for a network
                }
            });
            long capacity = (long) HOT_FILES * HOT_FILE_BYTES * 2 + (long) shape.coldFiles() * COLD_FILE_BYTES * 2;
            cache = DiskExtentCache.open(work.resolve("cache"), capacity, MISS_READ, store, new SimpleMeterRegistry(),
                    Clock.systemUTC());
            Clock clock = Clock.systemUTC();
            FileHandles handles = new FileHandles("bench/", null);
            S3FileSystem s3fs = new S3FileSystem(store, "", cache, handles::fileId,
                    MetadataSettings.withTtl(Duration.ofHours(1)), clock, Runnable::run, new SimpleMeterRegistry());
            fs = new SwitchableReads(s3fs);
            Duration lease = Duration.ofMinutes(5);
            NfsLimits limits = NfsLimits.defaults();
            Nfs4Services services = new Nfs4Services(fs, handles, new NfsState(clock, lease),
                    new AttributeEncoder(handles, fs, lease, limits), limits, clock, "bench".getBytes(),
                    ReadObserver.NONE);
            NfsMetrics metrics = new NfsMetrics(new SimpleMeterRegistry());
            ExecutorService workers = NfsServer.workerPool(shape.workers());
            server = new NfsServer("127.0.0.1", 0, workers, NfsServer.ConnectionLimits.defaults(),
                    new Nfs4RpcService(new CompoundProcessor(services, metrics, workers), metrics), metrics).start();
            for (int c = 0; c < shape.connections(); c++) {
                clients.add(Nfs4Client.connect("127.0.0.1", server.port(), "bench-" + c, 16));
            }
            Nfs4Client first = clients.get(0);
            for (int i = 0; i < HOT_FILES; i++) {
                Nfs4Client.OpenFile f = anonymous(first, "hot/" + i + ".bin", HOT_FILE_BYTES);
                first.readAll(f, 1 << 20);   // into the cache
                hot.add(f);
            }
            for (int i = 0; i < shape.coldFiles(); i++) {
                cold.add(anonymous(first, "cold/" + i + ".bin", COLD_FILE_BYTES));
            }
        }

        private static Nfs4Client.OpenFile anonymous(Nfs4Client client, String path, long size) {
            return new Nfs4Client.OpenFile(client.lookup(path), StateId.ANONYMOUS, size);
        }

        /**
         * Runs the readers with GETs taking {@code delay}: warm-up, then {@code measure} recorded. With
         * {@code blocking}, a READ that misses holds its worker until its GET returns, as the gateway did before
         * READs waited without a thread.
         */
        Phase phase(Duration delay, boolean blocking, PrintStream progress) throws Exception {
            getDelayNanos = delay.toNanos();
            fs.blocking = blocking;
            int readers = shape.connections() * (shape.cachedReaders() + shape.missReaders());
            ExecutorService pool = Executors.newFixedThreadPool(readers);
            Recorder recorder = new Recorder();
            long pacing = shape.getDelay().toNanos();
            List<Future<long[]>> cached = new ArrayList<>();
            List<Future<long[]>> misses = new ArrayList<>();
            try {
                for (int c = 0; c < shape.connections(); c++) {
                    Nfs4Client client = clients.get(c);
                    for (int r = 0; r < shape.cachedReaders(); r++) {
                        Random random = new Random(c * 1000L + r);
                        cached.add(pool.submit(() -> recorder.loop(() -> {
                            Nfs4Client.OpenFile f = hot.get(random.nextInt(HOT_FILES));
                            client.read(f, (long) random.nextInt(HOT_FILE_BYTES / HOT_READ) * HOT_READ, HOT_READ);
                        }, 0)));
                    }
                    for (int r = 0; r < shape.missReaders(); r++) {
                        misses.add(pool.submit(() -> recorder.loop(() -> {
                            long n = nextMiss.getAndIncrement();
                            int perFile = COLD_FILE_BYTES / MISS_READ;
                            client.read(cold.get((int) (n / perFile)), (n % perFile) * MISS_READ, MISS_READ);
                        }, pacing)));
                    }
                }
                LockSupport.parkNanos(shape.warmup().toNanos());
                long started = System.nanoTime();
                recorder.recording = true;
                LockSupport.parkNanos(shape.measure().toNanos());
                recorder.recording = false;
                Duration measured = Duration.ofNanos(System.nanoTime() - started);
                recorder.running = false;
                // in the blocking phase READs queue behind the misses holding the workers: let them drain
                long drainSeconds = 30 + (long) shape.connections() * shape.missReaders() / shape.workers()
                        * shape.getDelay().toSeconds();
                long[] perConnection = new long[shape.connections()];
                List<long[]> cachedRuns = new ArrayList<>();
                for (int i = 0; i < cached.size(); i++) {
                    long[] run = cached.get(i).get(drainSeconds, TimeUnit.SECONDS);
                    cachedRuns.add(run);
                    perConnection[i / shape.cachedReaders()] += run.length;
                }
                List<long[]> missRuns = new ArrayList<>();
                for (Future<long[]> f : misses) {
                    missRuns.add(f.get(drainSeconds, TimeUnit.SECONDS));
                }
                Phase p = new Phase(merge(cachedRuns), merge(missRuns), perConnection, measured);
                progress.printf(Locale.ROOT, "%sGET delay %d ms: cached p50 %.2f ms, p99 %.2f ms (%d READs); "
                                + "uncached p50 %.0f ms (%d READs)%n", blocking ? "blocking READs, " : "", delay.toMillis(), p.cachedPercentileMs(50),
                        p.cachedPercentileMs(99), p.cachedNanos().length, p.missPercentileMs(50), p.missNanos().length);
                return p;
            } finally {
                recorder.running = false;
                pool.shutdownNow();
            }
        }

        private static long[] merge(List<long[]> runs) {
            long[] all = runs.stream().flatMapToLong(Arrays::stream).toArray();
            Arrays.sort(all);
            return all;
        }

        @Override
        public void close() {
            for (Nfs4Client c : clients) {
                c.close();
            }
            server.close();
            cache.close();
            store.close();
        }
    }

    /** Runs readers in a loop and records their latencies while {@link #recording}. */
    private static final class Recorder {
        volatile boolean running = true;
        volatile boolean recording;

        interface Read {
            void run();
        }

        /**
         * Repeats {@code read} until stopped; starts each read at least {@code periodNanos} after the one before.
         * Returns the latencies recorded.
         */
        long[] loop(Read read, long periodNanos) {
            long[] out = new long[1024];
            int n = 0;
            while (running) {
                boolean record = recording;
                long t0 = System.nanoTime();
                read.run();
                long took = System.nanoTime() - t0;
                if (record && recording) {
                    if (n == out.length) {
                        out = Arrays.copyOf(out, n * 2);
                    }
                    out[n++] = took;
                }
                long rest = periodNanos - took;
                if (rest > 0 && running) {
                    LockSupport.parkNanos(rest);
                }
            }
            return Arrays.copyOf(out, n);
        }
    }

    /**
     * The file system as served, with a switch that makes a READ that misses hold its worker thread: its
     * {@link VirtualFileSystem#readAsync} then reads synchronously, as the gateway did before READs waited without a
     * thread. Everything else is the S3 file system's.
     */
    private static final class SwitchableReads implements VirtualFileSystem {
        private final S3FileSystem fs;
        volatile boolean blocking;

        SwitchableReads(S3FileSystem fs) {
            this.fs = fs;
        }

        @Override
        public FileAttributes getattr(Inode inode) throws FsException {
            return fs.getattr(inode);
        }

        @Override
        public Inode lookup(Inode dir, String name) throws FsException {
            return fs.lookup(dir, name);
        }

        @Override
        public DirListing list(Inode dir, long verifier) throws FsException {
            return fs.list(dir, verifier);
        }

        @Override
        public ReadResult read(Inode file, FileAttributes version, long offset, int count) throws FsException {
            return fs.read(file, version, offset, count);
        }

        @Override
        public CompletableFuture<ReadResult> readAsync(Inode file, FileAttributes version, long offset, int count) {
            return blocking ? VirtualFileSystem.super.readAsync(file, version, offset, count)
                    : fs.readAsync(file, version, offset, count);
        }

        @Override
        public FsStats statfs() {
            return fs.statfs();
        }
    }
}
