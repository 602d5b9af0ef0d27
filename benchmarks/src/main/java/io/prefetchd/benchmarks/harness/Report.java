package io.prefetchd.benchmarks.harness;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The figures of a run, per contender and epoch, and the ratios against the bounds measured in the same run:
 * epoch time / all-local, epoch time / max(all-local, (1-c)·D / aggregate bandwidth), S3 bytes / (1-c)·D,
 * epoch time / prefetchd-with-hints, and epoch time / the epoch's own {@link EpochBound} (all-local, its S3 bytes
 * at the aggregate bandwidth, its GETs at the measured GET rate) with the term that binds. D is the dataset's bytes
 * (all objects); a ratio whose baseline did not run is left empty.
 */
public final class Report {
    public static final String ALL_LOCAL = "all-local";
    public static final String HINTS = "prefetchd-hints";

    private final List<EpochResult> results;
    private final List<Workload.Stop> stops;
    private final Map<String, String> skipped;
    private final double cacheFraction;
    private final long datasetBytes;
    private final long aggregateBytesPerSecond;
    private final double getsPerSecond;

    public Report(List<EpochResult> results, Map<String, String> skipped, double cacheFraction, long datasetBytes,
                  long aggregateBytesPerSecond) {
        this(results, List.of(), skipped, cacheFraction, datasetBytes, aggregateBytesPerSecond);
    }

    /**
     * @param results the completed epochs
     * @param stops contenders stopped by the time cap (their completed epochs are in {@code results})
     */
    public Report(List<EpochResult> results, List<Workload.Stop> stops, Map<String, String> skipped,
                  double cacheFraction, long datasetBytes, long aggregateBytesPerSecond) {
        this(results, stops, skipped, cacheFraction, datasetBytes, aggregateBytesPerSecond, 0);
    }

    /**
     * @param results the completed epochs
     * @param stops contenders stopped by the time cap (their completed epochs are in {@code results})
     * @param getsPerSecond the emulator's measured GET rate (0 = not measured: no GET term in {@link #epochBound})
     */
    public Report(List<EpochResult> results, List<Workload.Stop> stops, Map<String, String> skipped,
                  double cacheFraction, long datasetBytes, long aggregateBytesPerSecond, double getsPerSecond) {
        this.results = List.copyOf(results);
        this.stops = List.copyOf(stops);
        this.skipped = Map.copyOf(skipped);
        this.cacheFraction = cacheFraction;
        this.datasetBytes = datasetBytes;
        this.aggregateBytesPerSecond = aggregateBytesPerSecond;
        this.getsPerSecond = getsPerSecond;
    }

    public List<EpochResult> results() {
        return results;
    }

    public Map<String, String> skipped() {
        return skipped;
    }

    public List<Workload.Stop> stops() {
        return stops;
    }

    /** (1-c)·D: the bytes any cache of fraction c must fetch per random epoch. */
    public double missBytes() {
        return (1 - cacheFraction) * datasetBytes;
    }

    private @Nullable EpochResult find(String contender, int epoch) {
        for (EpochResult r : results) {
            if (r.contender().equals(contender) && r.epoch() == epoch) {
                return r;
            }
        }
        return null;
    }

    public @Nullable Double vsLocal(EpochResult r) {
        EpochResult l = find(ALL_LOCAL, r.epoch());
        return l == null ? null : r.wallSeconds() / l.wallSeconds();
    }

    public @Nullable Double vsBound(EpochResult r) {
        EpochResult l = find(ALL_LOCAL, r.epoch());
        double transfer = aggregateBytesPerSecond > 0 ? missBytes() / aggregateBytesPerSecond : 0;
        double bound = Math.max(l == null ? 0 : l.wallSeconds(), transfer);
        return bound <= 0 ? null : r.wallSeconds() / bound;
    }

    /** The least time {@code r}'s epoch could take given its own S3 traffic; null when no term applies. */
    public @Nullable EpochBound epochBound(EpochResult r) {
        EpochResult l = find(ALL_LOCAL, r.epoch());
        return EpochBound.of(l == null ? null : l.wallSeconds(), r.s3().getBytes(), aggregateBytesPerSecond,
                r.s3().gets(), getsPerSecond);
    }

    public double s3VsMiss(EpochResult r) {
        return r.s3().getBytes() / missBytes();
    }

    public @Nullable Double vsHints(EpochResult r) {
        EpochResult h = find(HINTS, r.epoch());
        return h == null ? null : r.wallSeconds() / h.wallSeconds();
    }

    public void printTable(PrintStream out) {
        String head = String.format(Locale.ROOT, "%-18s %2s %8s %9s %6s %5s %8s %8s %7s %6s %6s %9s %6s %7s %7s %8s "
                        + "%7s %-15s %s", "contender", "ep", "wall s", "samples/s", "wait%", "hit%", "p50 ms", "p99 ms",
                "GETs", "HEADs", "LISTs", "S3 MiB", "ampl", "/local", "/bound", "S3/(1-c)D", "/hints", "/epoch bound",
                "ok");
        out.println(head);
        out.println("-".repeat(head.length()));
        for (EpochResult r : results) {
            out.println(String.format(Locale.ROOT, "%-18s %2d %8.2f %9.0f %5.1f%% %5s %8.2f %8.2f %7d %6d %6d %9.1f "
                            + "%6.2f %7s %7s %8.2f %7s %-15s %s",
                    r.contender(), r.epoch(), r.wallSeconds(), r.samplesPerSecond(), 100 * r.waitedShare(),
                    r.cacheHitRatio() == null ? "-" : String.format(Locale.ROOT, "%.0f", 100 * r.cacheHitRatio()),
                    r.p50Millis(), r.p99Millis(), r.s3().gets(), r.s3().heads(), r.s3().lists(),
                    r.s3().getBytes() / 1048576.0, r.readAmplification(), fmt(vsLocal(r)), fmt(vsBound(r)),
                    s3VsMiss(r), fmt(vsHints(r)), vsEpochBound(r),
                    r.samplesOk() == r.samples() ? "yes" : "NO (" + r.badBytes() + " wrong, " + r.errors() + " failed)"));
        }
        for (Workload.Stop s : stops) {
            EpochResult p = s.partial();
            out.println(s.describe() + (p.samplesOk() == p.samples() ? ""
                    : " NO (" + p.badBytes() + " wrong, " + p.errors() + " failed)"));
        }
        for (Map.Entry<String, String> e : skipped.entrySet()) {
            out.println(String.format(Locale.ROOT, "%-18s skipped: %s", e.getKey(), e.getValue()));
        }
    }

    /**
     * CPU per sample read, in milliseconds, of each epoch: the daemon's threads (a contender with a process of its
     * own), the emulated S3 ({@code S3Proxy-Jetty}), the readers (the project's NFS client or S3 SDK, in the
     * harness), and the rest of the harness; then how busy the machine's {@code cores} were (all of that CPU over
     * the epoch's wall time × cores: near 100%, the epoch was bound by the CPU of the processes measured, whatever
     * the other bounds say); then the daemon's largest thread groups. What the cores were busy with, which other
     * work on the machine does not change the way it changes seconds.
     */
    public void printCpu(PrintStream out, int cores) {
        out.println(String.format(Locale.ROOT, "%-18s %2s %8s %8s %8s %8s %8s %6s  %s", "CPU ms per sample", "ep",
                "total", "daemon", "S3 emu", "readers", "harness", "busy", "daemon's largest thread groups"));
        for (EpochResult r : results) {
            if (r.cpuSeconds().isEmpty() || r.samples() == 0) {
                continue;
            }
            double n = r.samples() / 1000.0;
            double daemon = 0;
            double emulator = 0;
            double readers = 0;
            double harness = 0;
            List<String> top = new ArrayList<>();
            for (Map.Entry<String, Double> e : r.cpuSeconds().entrySet()) {
                String k = e.getKey();
                double v = e.getValue();
                if (k.startsWith("daemon/")) {
                    daemon += v;
                } else if (k.startsWith("harness/S3Proxy")) {
                    emulator += v;
                } else if (k.equals("harness/" + Workload.READERS)) {
                    readers += v;
                } else {
                    harness += v;
                }
            }
            r.cpuSeconds().entrySet().stream().filter(e -> e.getKey().startsWith("daemon/") && e.getValue() / n >= 0.005)
                    .sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(5)
                    .forEach(e -> top.add(String.format(Locale.ROOT, "%s %.2f",
                            e.getKey().substring("daemon/".length()), e.getValue() / n)));
            double total = daemon + emulator + readers + harness;
            String busy = r.wallSeconds() > 0 && cores > 0
                    ? String.format(Locale.ROOT, "%.0f%%", 100 * total / (r.wallSeconds() * cores)) : "-";
            out.println(String.format(Locale.ROOT, "%-18s %2d %8.2f %8.2f %8.2f %8.2f %8.2f %6s  %s", r.contender(),
                    r.epoch(), total / n, daemon / n, emulator / n, readers / n, harness / n, busy,
                    String.join(", ", top)));
        }
    }

    /** The stops for JSON: where each stopped contender was and what its cut epoch read. */
    public List<Map<String, Object>> stopRows() {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Workload.Stop s : stops) {
            EpochResult p = s.partial();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("contender", s.contender());
            m.put("epoch", s.epoch());
            m.put("after_seconds", s.afterSeconds());
            m.put("cap_seconds", s.capSeconds());
            m.put("epoch_samples", s.epochSamples());
            m.put("samples_read", s.samplesRead());
            m.put("samples_ok", p.samplesOk());
            m.put("samples_wrong_bytes", p.badBytes());
            m.put("samples_failed", p.errors());
            m.put("bytes_read", p.bytesRead());
            m.put("epoch_wall_seconds", p.wallSeconds());
            m.put("s3_gets", p.s3().gets());
            m.put("s3_get_bytes", p.s3().getBytes());
            m.put("s3_heads", p.s3().heads());
            m.put("s3_lists", p.s3().lists());
            rows.add(m);
        }
        return rows;
    }

    /** E.g. {@code 1.12 GET rate}: the epoch's time over its bound and the term that binds; {@code -} without one. */
    private String vsEpochBound(EpochResult r) {
        EpochBound b = epochBound(r);
        return b == null ? "-" : String.format(Locale.ROOT, "%.2f %s", b.ratio(r.wallSeconds()), b.binding().label());
    }

    private static String fmt(@Nullable Double d) {
        return d == null ? "-" : String.format(Locale.ROOT, "%.2f", d);
    }

    private static Map<String, Object> boundRow(EpochBound b) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seconds", b.seconds());
        m.put("binding", b.binding().label());
        m.put("all_local_seconds", b.allLocalSeconds());
        m.put("s3_bytes_at_bandwidth_seconds", b.bytesSeconds());
        m.put("s3_gets_at_get_rate_seconds", b.getsSeconds());
        return m;
    }

    public List<Map<String, Object>> rows() {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (EpochResult r : results) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("contender", r.contender());
            m.put("epoch", r.epoch());
            m.put("wall_seconds", r.wallSeconds());
            m.put("samples", r.samples());
            m.put("samples_ok", r.samplesOk());
            m.put("samples_wrong_bytes", r.badBytes());
            m.put("samples_failed", r.errors());
            m.put("bytes_read", r.bytesRead());
            m.put("samples_per_second", r.samplesPerSecond());
            m.put("waited_share", r.waitedShare());
            m.put("p50_ms", r.p50Millis());
            m.put("p99_ms", r.p99Millis());
            m.put("s3_gets", r.s3().gets());
            m.put("s3_get_bytes", r.s3().getBytes());
            m.put("s3_heads", r.s3().heads());
            m.put("s3_lists", r.s3().lists());
            m.put("read_amplification", r.readAmplification());
            m.put("gateway_cache_hit_ratio_bytes", r.cacheHitRatio());
            m.put("contender_counters", r.contenderCounters());
            m.put("cpu_seconds_by_thread_group", r.cpuSeconds());
            m.put("time_vs_all_local", vsLocal(r));
            m.put("time_vs_bound", vsBound(r));
            m.put("s3_bytes_vs_miss_bytes", s3VsMiss(r));
            m.put("time_vs_prefetchd_hints", vsHints(r));
            EpochBound b = epochBound(r);
            m.put("time_vs_epoch_bound", b == null ? null : b.ratio(r.wallSeconds()));
            m.put("epoch_bound", b == null ? null : boundRow(b));
            rows.add(m);
        }
        return rows;
    }
}
