package io.prefetchd.benchmarks.harness;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * A PyTorch-DataLoader-like reader. Each epoch has its own seeded random permutation of the samples (the same for
 * every contender); {@code readers} threads (the workers) take the next position of the order, read that sample,
 * check its length and CRC32C and hand it to a queue of {@code 2 x readers} slots (prefetch_factor 2); the calling
 * thread (the training loop) takes samples from the queue and spends {@code computeMillis} on each (the GPU step).
 * The epoch's wall time runs from the first read to the last sample consumed.
 *
 * <p>Each read opens its file, reads the sample's range and closes it (a map-style Dataset); with
 * {@code keepOpen} each reader keeps its files open across epochs instead.
 *
 * <p>A read "waited on S3" when it took longer than {@code waitThresholdMillis}: with a first-byte latency of L the
 * default threshold is L/2, so a read served from a cache or a local disk stays below it and one that needed a GET
 * does not.
 *
 * <p><b>Time cap.</b> {@link #run(Contender, int, Supplier, long)} can stop a contender whose epochs together take
 * longer than a cap (time counted from the start of its first epoch, on the workload's clock): the training loop
 * checks the cap after every sample it takes (and at least every {@value #CAP_CHECK_MILLIS} ms while none arrives);
 * once over it, the readers take no new position, the reads already started finish and are counted, and no further
 * epoch starts. The result keeps the completed epochs and describes the cut one as a {@link Stop}.
 */
public final class Workload {
    /** While no sample arrives, the training loop still looks at the cap this often. */
    static final long CAP_CHECK_MILLIS = 200;

    private final Dataset dataset;
    private final LongSupplier clock;
    private final int readers;
    private final double computeMillis;
    private final double waitThresholdMillis;
    private final long seed;
    private final boolean keepOpen;

    public Workload(Dataset dataset, int readers, double computeMillis, double waitThresholdMillis, long seed) {
        this(dataset, readers, computeMillis, waitThresholdMillis, seed, false);
    }

    public Workload(Dataset dataset, int readers, double computeMillis, double waitThresholdMillis, long seed,
                    boolean keepOpen) {
        this(dataset, readers, computeMillis, waitThresholdMillis, seed, keepOpen, System::nanoTime);
    }

    /** As above, timing with {@code nanoClock} (wall times, read latencies and the time cap). */
    public Workload(Dataset dataset, int readers, double computeMillis, double waitThresholdMillis, long seed,
                    boolean keepOpen, LongSupplier nanoClock) {
        this.clock = requireNonNull(nanoClock, "nanoClock is null");
        this.keepOpen = keepOpen;
        this.dataset = dataset;
        this.readers = readers;
        this.computeMillis = computeMillis;
        this.waitThresholdMillis = waitThresholdMillis;
        this.seed = seed;
    }

    private boolean sameOrder;

    /**
     * Every epoch reads epoch 0's order (a validation pass, or a job that does not shuffle), instead of a fresh
     * permutation per epoch. Returns this workload.
     */
    public Workload sameOrderEveryEpoch() {
        this.sameOrder = true;
        return this;
    }

    /**
     * The order of epoch {@code epoch}: a Fisher-Yates shuffle seeded by (seed, epoch), or by (seed, 0) for every
     * epoch after {@link #sameOrderEveryEpoch()}.
     */
    public int[] order(int epoch) {
        if (sameOrder) {
            epoch = 0;
        }
        int n = dataset.samples().size();
        int[] o = new int[n];
        for (int i = 0; i < n; i++) {
            o[i] = i;
        }
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed * 1_000_003L + epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = o[i];
            o[i] = o[j];
            o[j] = t;
        }
        return o;
    }

    /**
     * A contender stopped by the time cap.
     *
     * @param epoch the epoch it was in
     * @param afterSeconds its time from the start of its first epoch to the stop
     * @param capSeconds the cap
     * @param epochSamples samples the cut epoch asked for
     * @param partial the cut epoch's figures over the samples that were read ({@code samples} = samples read;
     *     wrong bytes and failed reads count as in a whole epoch)
     */
    public record Stop(String contender, int epoch, double afterSeconds, double capSeconds, int epochSamples,
                       EpochResult partial) {
        public int samplesRead() {
            return partial.samples();
        }

        /** E.g. {@code s3fs: stopped after 600 s in epoch 1 (3,412 of 20,588 samples; cap 600 s)}. */
        public String describe() {
            return String.format(Locale.ROOT, "%s: stopped after %,.0f s in epoch %d (%,d of %,d samples; cap %,.0f s)",
                    contender, afterSeconds, epoch, samplesRead(), epochSamples, capSeconds);
        }
    }

    /** What one contender did: its completed epochs, and the stop when the time cap cut it short. */
    public record ContenderRun(List<EpochResult> epochs, Optional<Stop> stop) {
        public ContenderRun {
            epochs = List.copyOf(epochs);
            requireNonNull(stop, "stop is null");
        }
    }

    /** Runs {@code epochs} epochs of {@code c} without a time cap; returns one result per epoch. */
    public List<EpochResult> run(Contender c, int epochs, S3Emulator s3) throws Exception {
        return run(c, epochs, s3::counters, 0).epochs();
    }

    /**
     * Runs {@code epochs} epochs of {@code c}, stopping it once its epochs together took more than
     * {@code maxNanos} (0 = no cap).
     *
     * @param s3Counters the emulated S3's counters, read at epoch boundaries
     */
    public ContenderRun run(Contender c, int epochs, Supplier<S3Emulator.Counters> s3Counters, long maxNanos)
            throws Exception {
        if (maxNanos < 0) {
            throw new IllegalArgumentException("maxNanos is negative: " + maxNanos);
        }
        List<Contender.SampleReader> rs = new ArrayList<>();
        List<EpochResult> out = new ArrayList<>();
        Stop stop = null;
        try {
            long start = 0;
            long deadline = Long.MAX_VALUE;
            for (int e = 0; e < epochs; e++) {
                int[] order = order(e);
                long now = clock.getAsLong();
                if (now - deadline > 0) {   // over the cap between epochs: the next one does not start
                    EpochResult none = new EpochResult(c.name(), e, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                            new S3Emulator.Counters(0, 0, 0, 0), java.util.Map.of(), java.util.Map.of());
                    stop = new Stop(c.name(), e, (now - start) / 1e9, maxNanos / 1e9, order.length, none);
                    break;
                }
                c.beforeEpoch(e, order);
                if (e == 0) {
                    // the readers connect after the first beforeEpoch, which may wait (prefetchd builds its index):
                    // an NFS client that sends nothing for longer than the lease loses its session
                    for (int t = 0; t < readers; t++) {
                        rs.add(c.newReader(keepOpen));
                    }
                    start = clock.getAsLong();
                    deadline = maxNanos == 0 ? Long.MAX_VALUE : start + maxNanos;
                }
                java.util.Map<String, Double> before = c.counters();
                ThreadCpu harness0 = ThreadCpu.of(ProcessHandle.current().pid());
                java.util.OptionalLong daemon = c.processId();
                ThreadCpu daemon0 = daemon.isPresent() ? ThreadCpu.of(daemon.getAsLong()) : null;
                EpochResult r = epoch(c.name(), e, order, rs, s3Counters, deadline);
                java.util.Map<String, Double> cpu = new java.util.LinkedHashMap<>();
                ThreadCpu.of(ProcessHandle.current().pid()).since(harness0).forEach((g, v) -> cpu.put("harness/" + g, v));
                double read = r.cpuSeconds().getOrDefault(READERS, 0.0);   // ended with the epoch: not in /proc
                cpu.put("harness/" + READERS, read);
                cpu.computeIfPresent("harness/" + ThreadCpu.ENDED, (k, v) -> Math.max(0, v - read));
                if (daemon0 != null) {
                    ThreadCpu.of(daemon.getAsLong()).since(daemon0).forEach((g, v) -> cpu.put("daemon/" + g, v));
                }
                java.util.Map<String, Double> after = c.counters();
                java.util.Map<String, Double> delta = new java.util.TreeMap<>();
                // counters (*_total) as differences over the epoch, gauges as their value at its end
                after.forEach((k, v) -> delta.put(k, k.endsWith("_total") ? v - before.getOrDefault(k, 0.0) : v));
                r = new EpochResult(r.contender(), r.epoch(), r.wallSeconds(), r.samples(), r.samplesOk(),
                        r.badBytes(), r.errors(), r.bytesRead(), r.waited(), r.p50Millis(), r.p99Millis(), r.s3(),
                        delta, cpu);
                if (r.samples() < order.length) {
                    stop = new Stop(c.name(), e, (clock.getAsLong() - start) / 1e9, maxNanos / 1e9, order.length, r);
                    break;
                }
                out.add(r);
            }
        } finally {
            for (Contender.SampleReader r : rs) {
                try {
                    r.close();
                } catch (Exception ignored) {
                    // closing
                }
            }
        }
        return new ContenderRun(out, Optional.ofNullable(stop));
    }

    /** The reader threads' CPU seconds in an epoch's {@link EpochResult#cpuSeconds}. */
    static final String READERS = "reader threads";

    private record Done(int position, long nanos, int outcome) {
    }

    /**
     * One epoch; when the clock passes {@code deadline} the readers stop taking positions and the result covers the
     * samples read ({@code samples} < {@code order.length}).
     */
    private EpochResult epoch(String name, int epoch, int[] order, List<Contender.SampleReader> rs,
                              Supplier<S3Emulator.Counters> s3Counters, long deadline) throws Exception {
        List<Dataset.Sample> samples = dataset.samples();
        BlockingQueue<Done> queue = new ArrayBlockingQueue<>(2 * readers);
        AtomicInteger next = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger running = new AtomicInteger(rs.size());
        java.util.concurrent.atomic.AtomicLong readerCpuNanos = new java.util.concurrent.atomic.AtomicLong();
        List<Thread> threads = new ArrayList<>();
        String[] firstError = new String[1];
        S3Emulator.Counters before = s3Counters.get();
        long t0 = clock.getAsLong();
        for (Contender.SampleReader r : rs) {
            Thread t = new Thread(() -> {
                try {
                    int pos;
                    while (!stop.get() && (pos = next.getAndIncrement()) < order.length) {
                        Dataset.Sample s = samples.get(order[pos]);
                        long a = clock.getAsLong();
                        int outcome;
                        try {
                            byte[] b = r.read(s);
                            outcome = b.length == s.length() && Dataset.crc(b, b.length) == s.crc() ? 0 : 1;
                        } catch (Exception | Error ex) {
                            outcome = 2;
                            synchronized (firstError) {
                                if (firstError[0] == null) {
                                    firstError[0] = s.key() + "@" + s.offset() + ": " + ex;
                                }
                            }
                        }
                        long took = clock.getAsLong() - a;
                        try {
                            queue.put(new Done(pos, took, outcome));
                        } catch (InterruptedException ie) {
                            return;
                        }
                    }
                } finally {
                    // a thread's CPU is gone from /proc once it ended, so each reader counts its own
                    readerCpuNanos.addAndGet(Math.max(0, java.lang.management.ManagementFactory.getThreadMXBean()
                            .getCurrentThreadCpuTime()));
                    running.decrementAndGet();
                }
            }, "reader " + name);   // "reader" first: Linux keeps 15 characters of a thread name
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        long[] lat = new long[order.length];
        int taken = 0;
        int ok = 0;
        int bad = 0;
        int err = 0;
        int waited = 0;
        long bytes = 0;
        long threshold = (long) (waitThresholdMillis * 1e6);
        while (taken < order.length) {
            if (!stop.get() && clock.getAsLong() - deadline > 0) {
                stop.set(true);   // readers finish the reads they started, then exit
            }
            Done d = queue.poll(CAP_CHECK_MILLIS, TimeUnit.MILLISECONDS);
            if (d == null) {
                // all readers gone (the counter is read before the queue, so no Done can still arrive) and nothing left
                if (stop.get() && running.get() == 0 && queue.isEmpty()) {
                    break;
                }
                continue;
            }
            lat[taken++] = d.nanos();
            if (d.nanos() > threshold) {
                waited++;
            }
            switch (d.outcome()) {
                case 0 -> {
                    ok++;
                    bytes += samples.get(order[d.position()]).length();
                }
                case 1 -> bad++;
                default -> err++;
            }
            if (computeMillis > 0) {
                Pacer.sleepUntil(System.nanoTime() + (long) (computeMillis * 1e6));
            }
        }
        double wall = (clock.getAsLong() - t0) / 1e9;
        for (Thread t : threads) {
            t.join();
        }
        S3Emulator.Counters used = s3Counters.get().minus(before);
        if (firstError[0] != null) {
            System.out.println("  " + name + " epoch " + epoch + ": " + err + " failed reads, first: " + firstError[0]);
        }
        long[] done = Arrays.copyOf(lat, taken);
        Arrays.sort(done);
        return new EpochResult(name, epoch, wall, taken, ok, bad, err, bytes, waited,
                percentile(done, 0.50) / 1e6, percentile(done, 0.99) / 1e6, used, java.util.Map.of(),
                java.util.Map.of(READERS, readerCpuNanos.get() / 1e9));
    }

    static double percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
