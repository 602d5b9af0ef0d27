package io.prefetchd.benchmarks.harness;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

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
 */
public final class Workload {
    private final Dataset dataset;
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
        this.keepOpen = keepOpen;
        this.dataset = dataset;
        this.readers = readers;
        this.computeMillis = computeMillis;
        this.waitThresholdMillis = waitThresholdMillis;
        this.seed = seed;
    }

    /** The order of epoch {@code epoch}: a Fisher-Yates shuffle seeded by (seed, epoch). */
    public int[] order(int epoch) {
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

    /** Runs {@code epochs} epochs of {@code c}; returns one result per epoch. */
    public List<EpochResult> run(Contender c, int epochs, S3Emulator s3) throws Exception {
        List<Contender.SampleReader> rs = new ArrayList<>();
        List<EpochResult> out = new ArrayList<>();
        try {
            for (int t = 0; t < readers; t++) {
                rs.add(c.newReader(keepOpen));
            }
            for (int e = 0; e < epochs; e++) {
                int[] order = order(e);
                c.beforeEpoch(e, order);
                java.util.Map<String, Double> before = c.counters();
                EpochResult r = epoch(c.name(), e, order, rs, s3);
                java.util.Map<String, Double> after = c.counters();
                java.util.Map<String, Double> delta = new java.util.TreeMap<>();
                // counters (*_total) as differences over the epoch, gauges as their value at its end
                after.forEach((k, v) -> delta.put(k, k.endsWith("_total") ? v - before.getOrDefault(k, 0.0) : v));
                out.add(new EpochResult(r.contender(), r.epoch(), r.wallSeconds(), r.samples(), r.samplesOk(),
                        r.badBytes(), r.errors(), r.bytesRead(), r.waited(), r.p50Millis(), r.p99Millis(), r.s3(),
                        delta));
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
        return out;
    }

    private record Done(int position, long nanos, int outcome) {
    }

    private EpochResult epoch(String name, int epoch, int[] order, List<Contender.SampleReader> rs, S3Emulator s3)
            throws Exception {
        List<Dataset.Sample> samples = dataset.samples();
        BlockingQueue<Done> queue = new ArrayBlockingQueue<>(2 * readers);
        AtomicInteger next = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        String[] firstError = new String[1];
        S3Emulator.Counters before = s3.counters();
        long t0 = System.nanoTime();
        for (Contender.SampleReader r : rs) {
            Thread t = new Thread(() -> {
                int pos;
                while ((pos = next.getAndIncrement()) < order.length) {
                    Dataset.Sample s = samples.get(order[pos]);
                    long a = System.nanoTime();
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
                    long took = System.nanoTime() - a;
                    try {
                        queue.put(new Done(pos, took, outcome));
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }, name + "-reader");
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        long[] lat = new long[order.length];
        int ok = 0;
        int bad = 0;
        int err = 0;
        int waited = 0;
        long bytes = 0;
        long threshold = (long) (waitThresholdMillis * 1e6);
        for (int i = 0; i < order.length; i++) {
            Done d = queue.take();
            lat[i] = d.nanos();
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
        double wall = (System.nanoTime() - t0) / 1e9;
        for (Thread t : threads) {
            t.join();
        }
        S3Emulator.Counters used = s3.counters().minus(before);
        if (firstError[0] != null) {
            System.out.println("  " + name + " epoch " + epoch + ": " + err + " failed reads, first: " + firstError[0]);
        }
        Arrays.sort(lat);
        return new EpochResult(name, epoch, wall, order.length, ok, bad, err, bytes, waited,
                percentile(lat, 0.50) / 1e6, percentile(lat, 0.99) / 1e6, used, java.util.Map.of());
    }

    static double percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
