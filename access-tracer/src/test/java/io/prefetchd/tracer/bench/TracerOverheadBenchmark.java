package io.prefetchd.tracer.bench;

import io.prefetchd.tracer.AccessTracer;
import io.prefetchd.tracer.EpochTrace;
import io.prefetchd.tracer.NanoClock;
import io.prefetchd.tracer.Outcome;
import io.prefetchd.tracer.TraceStore;
import io.prefetchd.tracer.TracerConfig;
import io.prefetchd.tracer.TracerListener;
import io.prefetchd.tracer.TracerStats;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Questions: what does tracing cost the read path at 100,000+ reads/s from several threads; what does one
 * {@code record()} cost, and how fast can the writer drain; what happens when the writer cannot keep up; how many
 * bytes of trace does a read cost?
 *
 * <ol>
 *   <li><b>Read path, tracing on vs off (the ratio).</b> {@code threads} threads run a stand-in for a cached
 *   READ: copy {@code readKiB} KiB from a random place of a 64 MiB in-memory "cache" into a reply buffer and
 *   CRC32C it (the cache checks a checksum on read). Rounds of {@code seconds} alternate off and on, in the same
 *   JVM, after a warm-up of each; in "on" rounds every read also calls {@code record()} on a tracer with default
 *   settings (fsync on) writing to a temporary folder. Reported: reads/s of each round and the ratio of the
 *   medians, on/off (goal &ge; 0.98). The writer thread competes with the readers for the same cores, as it would
 *   in the gateway.</li>
 *   <li><b>record() alone.</b> The same threads call only {@code record()} as fast as they can for
 *   {@code seconds}: ns per call per thread, accepted/s, and drops (this offers far more than any read path can,
 *   so it finds the writer's drain rate).</li>
 *   <li><b>Full buffer, stuck writer.</b> A 1,024-record ring whose writer never runs: the first 1,024 records are
 *   accepted, the rest dropped and counted; reported: ns per call while full (never blocks).</li>
 *   <li><b>Bytes per read.</b> 1,000,000 records with realistic keys, ETags and addresses, written with batches
 *   of 8,192 rows (busy) and of 100 rows (about 100 reads/s with the 1 s flush): file bytes / reads.</li>
 * </ol>
 *
 * <p>Rerun: {@code access-tracer/run-benchmark [threads] [seconds] [rounds] [readKiB]} (defaults 2 2 4 16).
 */
public final class TracerOverheadBenchmark {
    private static final int CACHE_BYTES = 64 << 20;
    private static final int KEYS = 1000;

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 2;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        int readKiB = args.length > 3 ? Integer.parseInt(args[3]) : 16;
        Path work = Files.createTempDirectory("prefetchd-tracer-bench");
        System.out.printf(Locale.ROOT, "tracer overhead: %d threads, %.1f s rounds, %d rounds each, %d KiB reads, "
                + "%d cores; work %s%n", threads, seconds, rounds, readKiB,
                Runtime.getRuntime().availableProcessors(), work);
        try {
            readPath(work.resolve("a"), threads, seconds, rounds, readKiB << 10);
            recordAlone(work.resolve("b"), threads, seconds);
            stuckWriter(work.resolve("c"));
            bytesPerRead(work.resolve("d"), 8192);
            bytesPerRead(work.resolve("e"), 100);
        } finally {
            try (Stream<Path> s = Files.walk(work)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        System.out.println("rerun: access-tracer/run-benchmark " + threads + " " + seconds + " " + rounds + " "
                + readKiB);
    }

    private static final String[] KEY_NAMES = new String[KEYS];
    private static final String[] ETAGS = new String[KEYS];

    static {
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < KEYS; i++) {
            KEY_NAMES[i] = String.format(Locale.ROOT, "imagenet/train/shard-%06d.tar", i);
            ETAGS[i] = String.format(Locale.ROOT, "\"%016x%016x\"", r.nextLong(), r.nextLong());
        }
    }

    private static volatile Thread lastWriter;

    private static Executor daemon() {
        return r -> {
            Thread t = new Thread(r, "prefetchd-tracer-writer");
            t.setDaemon(true);
            lastWriter = t;
            t.start();
        };
    }

    /** CPU time the most recently started writer thread has used, in ns. */
    private static long writerCpuNanos() {
        return java.lang.management.ManagementFactory.getThreadMXBean().getThreadCpuTime(lastWriter.getId());
    }

    /** Runs {@code body} on {@code threads} threads for {@code seconds}; returns operations per second. */
    private static double timed(int threads, double seconds, java.util.function.IntFunction<Worker> make)
            throws InterruptedException {
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        Worker[] workers = new Worker[threads];
        Thread[] ts = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            workers[i] = make.apply(i);
            Worker w = workers[i];
            ts[i] = new Thread(() -> {
                ready.countDown();
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                w.loop();
            });
            ts[i].start();
        }
        ready.await();
        long start = System.nanoTime();
        go.countDown();
        TimeUnit.NANOSECONDS.sleep((long) (seconds * 1e9));
        for (Worker w : workers) {
            w.stop = true;
        }
        long ops = 0;
        for (int i = 0; i < threads; i++) {
            ts[i].join();
            ops += workers[i].ops;
        }
        return ops / ((System.nanoTime() - start) / 1e9);
    }

    private abstract static class Worker {
        volatile boolean stop;
        long ops;
        long sink;

        abstract void loop();
    }

    /** The stand-in for a cached READ, optionally traced. */
    private static final class Reader extends Worker {
        private final byte[] cache;
        private final byte[] reply;
        private final AccessTracer tracer;
        private final SplittableRandom random;
        private final long clientId;

        Reader(byte[] cache, int readBytes, AccessTracer tracer, int seed) {
            this.cache = cache;
            this.reply = new byte[readBytes];
            this.tracer = tracer;
            this.random = new SplittableRandom(seed);
            this.clientId = 1000 + seed;
        }

        @Override
        void loop() {
            CRC32C crc = new CRC32C();
            int len = reply.length;
            int span = (cache.length - len) >> 12;
            long n = 0;
            while (!stop) {
                int off = random.nextInt(span) << 12;
                System.arraycopy(cache, off, reply, 0, len);
                crc.reset();
                crc.update(reply, 0, len);
                sink += crc.getValue();
                if (tracer != null) {
                    int k = off % KEYS;
                    tracer.record("imagenet", "job-1", clientId, "10.0.12.34:945", KEY_NAMES[k], ETAGS[k], k,
                            off, len, Outcome.CACHE_HIT, 0);
                }
                n++;
            }
            ops = n;
        }
    }

    private static void readPath(Path state, int threads, double seconds, int rounds, int readBytes)
            throws Exception {
        byte[] cache = new byte[CACHE_BYTES];
        new SplittableRandom(7).nextBytes(cache);
        try (AccessTracer tracer = AccessTracer.start(TracerConfig.defaults(state), NanoClock.system(), daemon(),
                TracerListener.NONE)) {
            timed(threads, seconds, i -> new Reader(cache, readBytes, null, i)); // warm-up
            timed(threads, seconds, i -> new Reader(cache, readBytes, tracer, i));
            List<Double> off = new ArrayList<>();
            List<Double> on = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                off.add(timed(threads, seconds, i -> new Reader(cache, readBytes, null, i)));
                on.add(timed(threads, seconds, i -> new Reader(cache, readBytes, tracer, i)));
            }
            TracerStats s = tracer.stats();
            long cpu = writerCpuNanos();
            System.out.printf(Locale.ROOT, "   writer thread CPU: %.0f ns per record written%n", (double) cpu / s.written());
            System.out.printf(Locale.ROOT, "1. read path (%d KiB cached-read stand-in), reads/s per round:%n"
                    + "   off %s%n   on  %s%n   median off %,.0f  on %,.0f  ratio on/off %.3f (goal >= 0.98)%n"
                    + "   tracer during the whole phase: accepted %,d  dropped %,d  written so far %,d%n",
                    readBytes >> 10, fmt(off), fmt(on), median(off), median(on), median(on) / median(off),
                    s.accepted(), s.dropped(), s.written());
        }
    }

    private static void recordAlone(Path state, int threads, double seconds) throws Exception {
        try (AccessTracer tracer = AccessTracer.start(TracerConfig.defaults(state), NanoClock.system(), daemon(),
                TracerListener.NONE)) {
            double perSecond = timed(threads, seconds, i -> new Worker() {
                @Override
                void loop() {
                    long n = 0;
                    while (!stop) {
                        int k = (int) (n % KEYS);
                        tracer.record("imagenet", "job-1", i, "10.0.12.34:945", KEY_NAMES[k], ETAGS[k], k,
                                n << 12, 4096, Outcome.CACHE_HIT, 0);
                        n++;
                    }
                    ops = n;
                }
            });
            tracer.flush().get(60, TimeUnit.SECONDS);
            TracerStats s = tracer.stats();
            System.out.printf(Locale.ROOT, "   writer thread CPU: %.0f ns per record written%n",
                    (double) writerCpuNanos() / s.written());
            System.out.printf(Locale.ROOT, "2. record() alone, %d threads: %,.0f calls/s (%.0f ns per call per "
                            + "thread); accepted %,d (%,.0f/s)  dropped %,d  written %,d%n",
                    threads, perSecond, threads * 1e9 / perSecond, s.accepted(), s.accepted() / seconds,
                    s.dropped(), s.written());
        }
    }

    private static void stuckWriter(Path state) throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        AccessTracer tracer = AccessTracer.start(TracerConfig.defaults(state).withBufferCapacity(1024),
                NanoClock.system(), r -> daemon().execute(() -> {
                    try {
                        never.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    r.run();
                }), TracerListener.NONE);
        int calls = 2_000_000;
        long start = System.nanoTime();
        for (int n = 0; n < calls; n++) {
            int k = n % KEYS;
            tracer.record("imagenet", "job-1", 1, "10.0.12.34:945", KEY_NAMES[k], ETAGS[k], k, (long) n << 12, 4096,
                    Outcome.CACHE_HIT, 0);
        }
        long ns = System.nanoTime() - start;
        TracerStats s = tracer.stats();
        never.countDown();
        tracer.close();
        System.out.printf(Locale.ROOT, "3. stuck writer, 1,024-record ring: %,d calls in %.1f ms (%.0f ns per call); "
                        + "accepted %,d  dropped %,d; after release written %,d%n", calls, ns / 1e6,
                (double) ns / calls, s.accepted(), s.dropped(), tracer.stats().written());
    }

    private static void bytesPerRead(Path state, int batchRows) throws Exception {
        int reads = 1_000_000;
        AccessTracer tracer = AccessTracer.start(TracerConfig.defaults(state).withBatchRows(batchRows)
                .withBufferCapacity(1 << 20).withFsync(false), NanoClock.system(), daemon(), TracerListener.NONE);
        SplittableRandom r = new SplittableRandom(3);
        Outcome[] outcomes = Outcome.values();
        String[] addresses = new String[8]; // the gateway keeps one string per client
        for (int c = 0; c < addresses.length; c++) {
            addresses[c] = "10.0.12." + c + ":945";
        }
        for (int n = 0; n < reads; n++) {
            int k = r.nextInt(KEYS);
            Outcome o = outcomes[r.nextInt(3)];
            tracer.record("imagenet", "job-1", 1000 + (n & 7), addresses[n & 7], KEY_NAMES[k], ETAGS[k],
                    k, (long) r.nextInt(1 << 20) << 9, 110_000, o, o == Outcome.S3_WAIT ? r.nextInt(50_000_000) : 0);
            if ((n & 0xffff) == 0) {
                tracer.flush().get(60, TimeUnit.SECONDS); // keep the ring from overflowing
            }
        }
        long cpu = writerCpuNanos();
        tracer.close();
        TracerStats s = tracer.stats();
        System.out.printf(Locale.ROOT, "   writer thread CPU: %.0f ns per record written%n", (double) cpu / s.written());
        long bytes = 0;
        for (EpochTrace e : TraceStore.open(state).epochs()) {
            bytes += e.sizeBytes();
        }
        System.out.printf(Locale.ROOT, "4. bytes per read, batches of %,d rows: %,d reads (dropped %d) in %,d bytes "
                        + "= %.1f bytes/read (key 30 B, ETag 34 B, address 14 B per row)%n", batchRows,
                s.written(), s.dropped(), bytes, (double) bytes / s.written());
    }

    private static String fmt(List<Double> xs) {
        StringBuilder b = new StringBuilder();
        for (double x : xs) {
            b.append(String.format(Locale.ROOT, "%,12.0f", x));
        }
        return b.toString();
    }

    private static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }
}
