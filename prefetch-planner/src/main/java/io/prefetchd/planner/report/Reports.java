package io.prefetchd.planner.report;

import io.prefetchd.planner.EpochOrder;
import io.prefetchd.planner.SampleExtents;
import io.prefetchd.planner.report.EpochReport.Bucket;
import io.prefetchd.planner.report.EpochReport.Counterfactual;
import io.prefetchd.planner.report.EpochReport.Policy;
import io.prefetchd.planner.report.EpochReport.Timeline;
import io.prefetchd.planner.sim.PolicyKind;
import io.prefetchd.planner.sim.PolicyResult;
import io.prefetchd.planner.sim.Simulator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * Epoch reports: built from an {@link EpochLog}, written as JSON, an HTML page and a terminal table, read back from
 * JSON. Pure: no clock, no I/O; the counterfactual runs the simulator's LRU and OPT policies in the caller's
 * thread (seconds for millions of reads, so the gateway calls it off the request path).
 *
 * <p>docs/REPORTS.md describes every figure; the formulas are in {@link #build} and {@link EpochReport}.
 */
public final class Reports {
    /** Buckets of every timeline, whatever the epoch's length. */
    public static final int TIMELINE_BUCKETS = 60;

    private Reports() {
    }

    /**
     * The report of an epoch, with LRU's and OPT's results on the same reads.
     *
     * <p>The counterfactual replays the log's sample order (its kept prefix if truncated) through the simulator's
     * LRU and OPT with a cache of exactly {@code log.capacityBytes()}. When {@code previousEpochOrderOrNull} is
     * given it is replayed first and not counted, so the policies start this epoch warm, as the gateway did;
     * without it they start cold.
     *
     * <p>Epochs of more than {@link #MAX_SIMULATED_READS} reads are simulated on a spatial sample (SHARDS-style):
     * the samples whose hashed id falls under a rate r = limit / reads, with the cache scaled by the share of
     * samples kept and the S3 bytes and GETs scaled back up. Hit ratios are unbiased estimates; the report says
     * the rate ({@code sample_rate}). This keeps a report of a 10-million-read epoch to seconds and tens of MB.
     *
     * @throws IllegalArgumentException if the log or the previous order names a sample {@code dataset} lacks
     */
    public static EpochReport build(EpochLog log, SampleExtents dataset, int @Nullable [] previousEpochOrderOrNull) {
        return build(log, dataset, previousEpochOrderOrNull, MAX_SIMULATED_READS);
    }

    /** Reads of one epoch simulated exactly; longer epochs are sampled (see {@link #build}). */
    public static final int MAX_SIMULATED_READS = 100_000;

    static EpochReport build(EpochLog log, SampleExtents dataset, int @Nullable [] previous, int maxSimulatedReads) {
        requireNonNull(log, "log is null");
        requireNonNull(dataset, "dataset is null");
        EpochLog.Snapshot s = log.snapshot();
        Counterfactual cf = counterfactual(s, dataset, previous, maxSimulatedReads);
        List<String> notes = new ArrayList<>();
        if (s.truncated()) {
            notes.add("over the first " + s.readsKept() + " of " + s.reads() + " reads");
        }
        if (cf.sampleRate() < 1) {
            notes.add(String.format(java.util.Locale.ROOT, "estimated from a %.2f%% spatial sample (%d reads)",
                    100 * cf.sampleRate(), cf.reads()));
        }
        return summarize(s, cf, String.join("; ", notes));
    }

    /**
     * The report of an epoch without the counterfactual: a partial report of an epoch in progress, or a report
     * whose simulation failed.
     *
     * @param why shown in place of the counterfactual ("epoch in progress", an error message)
     */
    public static EpochReport withoutCounterfactual(EpochLog log, String why) {
        requireNonNull(log, "log is null");
        requireNonNull(why, "why is null");
        return summarize(log.snapshot(), null, why);
    }

    private static Counterfactual counterfactual(EpochLog.Snapshot s, SampleExtents dataset, int @Nullable [] previous,
                                                 int maxSimulatedReads) {
        int n = dataset.sampleCount();
        int[] order = new int[s.readsKept()];
        for (int k = 0; k < order.length; k++) {
            order[k] = checked(s.readSample(k), n, "the epoch");
        }
        boolean warm = previous != null;
        if (previous != null) {
            previous = previous.clone();
            for (int k = 0; k < previous.length; k++) {
                checked(previous[k], n, "the previous epoch");
            }
        }
        if (order.length == 0) {
            Policy none = new Policy(Double.NaN, 0, 0);
            return new Counterfactual(warm, 0, 1.0, none, none);
        }
        SampleExtents simulated = dataset;
        long capacity = s.capacityBytes();
        double rate = 1.0;
        if (order.length > maxSimulatedReads) {
            double wanted = (double) maxSimulatedReads / order.length;
            int[] id = new int[n];
            List<List<io.prefetchd.planner.Extent>> kept = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                id[i] = inSample(i, wanted) ? kept.size() : -1;
                if (id[i] >= 0) {
                    kept.add(dataset.extentsOf(i));
                }
            }
            if (!kept.isEmpty()) {
                rate = (double) kept.size() / n;
                simulated = SampleExtents.of(kept);
                capacity = Math.round(capacity * rate);
                order = remap(order, id);
                previous = previous != null ? remap(previous, id) : null;
            }
        }
        List<EpochOrder> epochs = new ArrayList<>(2);
        if (previous != null) { // warm
            epochs.add(EpochOrder.of(0, previous));
        }
        epochs.add(EpochOrder.of(epochs.size(), order));
        List<PolicyResult> results = Simulator.replay(simulated, epochs, capacity, warm ? 1 : 0,
                List.of(PolicyKind.LRU, PolicyKind.OPT));
        return new Counterfactual(warm, order.length, rate, policy(results.get(0), rate),
                policy(results.get(1), rate));
    }

    private static int checked(int sample, int n, String where) {
        if (sample >= n) {
            throw new IllegalArgumentException(where + " reads sample " + sample + " but the dataset has " + n
                    + " samples");
        }
        return sample;
    }

    /** Spatial sampling: a sample is in when its id, hashed (SplitMix64's finalizer), falls under the rate. */
    static boolean inSample(int sample, double rate) {
        long z = sample * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z >>> 11) * 0x1.0p-53 < rate;
    }

    private static int[] remap(int[] order, int[] id) {
        int k = 0;
        int[] out = new int[order.length];
        for (int sample : order) {
            if (id[sample] >= 0) {
                out[k++] = id[sample];
            }
        }
        return Arrays.copyOf(out, k);
    }

    /** A policy's result, its S3 bytes and GETs scaled up from a sample at {@code rate}. */
    private static Policy policy(PolicyResult r, double rate) {
        return new Policy(r.readBytes() == 0 ? Double.NaN : (double) r.hitBytes() / r.readBytes(),
                Math.round(r.s3BytesPerEpoch() / rate), Math.round(r.requestsPerEpoch() / rate));
    }

    private static EpochReport summarize(EpochLog.Snapshot s, @Nullable Counterfactual cf, String note) {
        long fromS3 = Math.min(s.readBytes(), Math.max(0, s.usefulBytes() - s.unusedBytes()));
        double hit = s.readBytes() == 0 ? Double.NaN : 1.0 - (double) fromS3 / s.readBytes();
        double noWait = s.reads() == 0 ? Double.NaN : 1.0 - (double) s.waitedReads() / s.reads();
        return new EpochReport(s.datasetId(), s.job(), s.epoch(), s.hinted(), s.ended(), "", s.startNanos(),
                s.endNanos(), s.datasetBytes(), s.capacityBytes(), s.reads(), s.readBytes(), hit, noWait,
                s.waitedReads(), s.waitNanos() / 1e9, p99(s) / 1e9, s.maxWaitNanos() / 1e9, s.gets(),
                s.demandGets(), s.failedGets(), s.getBytes(), s.demandGetBytes(), s.usefulBytes(), s.unusedBytes(),
                s.plannedSamples(), s.plannedFetchBytes(), s.plans(), s.truncated(), cf, note, timeline(s), "", "",
                s.how());
    }

    /** Nearest rank: the ⌈0.99·n⌉-th smallest wait of the n kept reads (NaN without reads). */
    private static double p99(EpochLog.Snapshot s) {
        int n = s.readsKept();
        if (n == 0) {
            return Double.NaN;
        }
        long[] waits = new long[(int) Math.min(n, s.waitedReads())];
        int m = 0;
        for (int k = 0; k < n && m < waits.length; k++) {
            long w = s.readWait(k);
            if (w > 0) {
                waits[m++] = w;
            }
        }
        int rank = (int) ((99L * n + 99) / 100); // ⌈0.99·n⌉ without rounding error
        int zeros = n - m;
        if (rank <= zeros) {
            return 0;
        }
        Arrays.sort(waits, 0, m);
        return waits[rank - zeros - 1];
    }

    private static Timeline timeline(EpochLog.Snapshot s) {
        int b = TIMELINE_BUCKETS;
        long start = s.startNanos();
        long span = Math.max(1, s.endNanos() - start);
        long[] reads = new long[b];
        long[] waited = new long[b];
        long[] waitNanos = new long[b];
        long[] started = new long[b];
        long[] completed = new long[b];
        int[] inFlight = new int[b];
        for (int k = 0; k < s.readsKept(); k++) {
            int i = bucket(s.readAt(k), start, span);
            reads[i]++;
            long w = s.readWait(k);
            if (w > 0) {
                waited[i]++;
                waitNanos[i] += w;
            }
        }
        int g = s.getsKept();
        long[] events = new long[2 * g];
        for (int k = 0; k < g; k++) {
            long from = Math.max(0, s.getStart(k) - start);
            long to = Math.max(from, s.getEnd(k) - start);
            started[bucket(s.getStart(k), start, span)] += s.getLength(k);
            if ((s.getFlags(k) & EpochLog.OK) != 0) {
                completed[bucket(s.getEnd(k), start, span)] += s.getLength(k);
            }
            // ends sort before starts at the same instant: back-to-back GETs are not both in flight
            events[2 * k] = from << 1 | 1;
            events[2 * k + 1] = to << 1;
        }
        Arrays.sort(events);
        int current = 0;
        int last = 0;
        for (long e : events) {
            int i = bucket((e >> 1) + start, start, span);
            for (int j = last + 1; j <= i; j++) {
                inFlight[j] = Math.max(inFlight[j], current);
            }
            current += (e & 1) == 1 ? 1 : -1;
            inFlight[i] = Math.max(inFlight[i], current);
            last = i;
        }
        List<Bucket> buckets = new ArrayList<>(b);
        for (int i = 0; i < b; i++) {
            buckets.add(new Bucket(reads[i], waited[i], waitNanos[i] / 1e9, started[i], completed[i], inFlight[i]));
        }
        return new Timeline(span / 1e9 / b, buckets);
    }

    private static int bucket(long t, long start, long span) {
        double x = (double) (t - start) / span * TIMELINE_BUCKETS;
        return (int) Math.max(0, Math.min(TIMELINE_BUCKETS - 1, Math.floor(x)));
    }

    /** The reports as one JSON document ({@code {"format": ..., "reports": [...]}}); names in docs/REPORTS.md. */
    public static String toJson(List<EpochReport> reports) {
        return ReportJson.write(reports);
    }

    /** Reads {@link #toJson}'s output back; throws IllegalArgumentException naming what is wrong. */
    public static List<EpochReport> fromJson(String json) {
        return ReportJson.read(json);
    }

    /** One self-contained HTML page (inline CSS and SVG, no script, no external URL) for the reports. */
    public static String html(List<EpochReport> reports) {
        return HtmlPage.render(reports);
    }

    /** A fixed-width table for terminals, one row per epoch, then the counterfactuals. */
    public static String table(List<EpochReport> reports) {
        return TextTable.render(reports);
    }
}
