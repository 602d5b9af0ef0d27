package io.prefetchd.benchmarks.harness;

import static java.util.Objects.requireNonNull;

import io.prefetchd.planner.json.Json;
import io.prefetchd.planner.units.Sizes;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code benchmarks/run}: prefetchd side by side with the bounds and with the tools users pick instead, on one
 * machine, one generated dataset and one emulated S3, in one run; printed as a table of figures and ratios, and
 * written as JSON and a PNG.
 *
 * <p>Question: how long does an epoch of random-order reads take through prefetchd (with hints, without, and as a
 * plain LRU cache) against the all-local lower bound, one ranged GET per sample, s3fs and rclone, with a cache of
 * fraction c of the dataset on an S3 with cloud-like latency and bandwidth; and how many S3 bytes does each need
 * against the (1-c)·D any cache must fetch? Rerun: {@code benchmarks/run --quick} (CI profile) or
 * {@code benchmarks/run} (defaults: 2 GiB WebDataset, c = 0.5, 40 ms). Figures are ratios against baselines of
 * the same run, never absolutes. A contender whose epochs take longer than {@code --max-contender-seconds} (default
 * 30 min; s3fs needs more than 20 min per epoch of the default dataset) is stopped and reported with its completed
 * epochs.
 */
@Command(name = "benchmarks/run", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Runs the contenders side by side on one generated dataset and one emulated S3; prints a table, "
                + "writes run.json and run.png.")
public final class BenchCommand implements Callable<Integer> {
    /** Third-party tools whose failed reads are reported but do not fail the run (wrong bytes always do). */
    static final java.util.Set<String> MAY_FAIL_READS = java.util.Set.of("s3fs", "rclone");
    static final List<String> ALL = List.of("all-local", "direct-get", "prefetchd-hints", "prefetchd-s3-hints",
            "prefetchd-nohints",
            "prefetchd-lru", "s3fs", "rclone");

    @Option(names = "--layout", description = "webdataset (tar shards) or files (one file per sample). Default: ${DEFAULT-VALUE}")
    String layout = "webdataset";
    @Option(names = "--dataset-size", description = "Dataset size D, e.g. 2GiB, 64MiB. Default: 2GiB (--quick: 64MiB)")
    String datasetSize;
    @Option(names = "--sample-size", description = "Mean sample size (sizes are uniform in 0.75-1.25 x). Default: ${DEFAULT-VALUE}")
    String sampleSize = "100KiB";
    @Option(names = "--cache-fraction", description = "Cache size c as a fraction of D. Default: ${DEFAULT-VALUE}")
    double cacheFraction = 0.5;
    @Option(names = "--latency-ms", description = "S3 first-byte latency. Default: ${DEFAULT-VALUE}")
    double latencyMs = 40;
    @Option(names = "--jitter-ms", description = "First-byte latency is uniform in latency +- jitter. Default: ${DEFAULT-VALUE}")
    double jitterMs = 10;
    @Option(names = "--bandwidth", description = "Aggregate S3 bandwidth per second (0 = unlimited). Default: ${DEFAULT-VALUE}")
    String bandwidth = "400MiB";
    @Option(names = "--conn-bandwidth", description = "Per-connection S3 bandwidth per second (0 = unlimited). Default: ${DEFAULT-VALUE}")
    String connBandwidth = "80MiB";
    @Option(names = {"-k", "--readers"}, description = "Reader threads K (DataLoader workers). Default: ${DEFAULT-VALUE}")
    int readers = 8;
    @Option(names = {"-n", "--epochs"}, description = "Epochs N. Default: 3 (--quick: 2)")
    Integer epochs;
    @Option(names = "--compute-ms", description = "Per-sample compute delay in the consuming loop. Default: ${DEFAULT-VALUE}")
    double computeMs = 0;
    @Option(names = "--wait-threshold-ms", description = "A read slower than this waited on S3. Default: latency / 2")
    Double waitThresholdMs;
    @Option(names = "--keep-open", description = "Readers keep files open across reads and epochs instead of "
            + "open-read-close per sample (FUSE caches cannot evict open files).")
    boolean keepOpen;
    @Option(names = "--same-order", description = "Every epoch reads the same order (epoch 0's permutation), as a "
            + "validation pass does, instead of a fresh permutation per epoch.")
    boolean sameOrder;
    @Option(names = "--seed", description = "Seeds data, order and jitter. Default: ${DEFAULT-VALUE}")
    long seed = 42;
    @Option(names = "--contenders", split = ",", description = "Comma-separated subset of: ${COMPLETION-CANDIDATES}, "
            + "run in the order given (the first prefetchd contender of a run shares the cores with the emulator's "
            + "JIT longest: swap the order to see that). Default: all, in that order", completionCandidates = Names.class)
    List<String> contenders = new ArrayList<>(ALL);
    @Option(names = "--quick", description = "CI profile: 64MiB dataset, 2 epochs (explicit options still win).")
    boolean quick;
    @Option(names = "--out", description = "Output folder for run.json, run.png, table.txt. Default: bench-results/<UTC time>")
    Path out;
    @Option(names = "--work", description = "Scratch folder (dataset, S3 folder, caches). Default: a temp folder, deleted after")
    Path work;
    @Option(names = "--gateway-grain", description = "prefetchd.cache.grain for the daemons in bytes (4096-262144, "
            + "a power of two). Default: the daemon's (131072)")
    Integer gatewayGrain;
    @Option(names = "--daemon-heap", description = "Heap of the prefetchd daemon JVM. Default: ${DEFAULT-VALUE}")
    String daemonHeap = "512m";
    @Option(names = "--daemon-java-option", description = "An option for each prefetchd daemon's JVM, e.g. "
            + "-XX:StartFlightRecording=filename=daemon.jfr to profile it; repeatable")
    List<String> daemonJavaOptions = new ArrayList<>();
    @Option(names = "--warm-up", description = "Before a prefetchd contender's first epoch, read a dataset of this "
            + "size (same layout, a folder of its own) through its daemon for two epochs, unmeasured, so that the "
            + "daemon's JIT has compiled its read path as in a gateway that has been running; the run's dataset stays "
            + "uncached. 0 = none: each daemon starts fresh. Default: ${DEFAULT-VALUE}")
    String warmUp = "0";
    @Option(names = "--max-contender-seconds", description = "Stop a contender whose epochs together take longer "
            + "(the reads in progress finish; its completed epochs are kept and the stop is reported); 0 = no cap. "
            + "Stopping s3fs or rclone does not fail the run; stopping another contender does. Default: ${DEFAULT-VALUE}")
    long maxContenderSeconds = 1800;

    static final class Names extends ArrayList<String> {
        Names() {
            super(ALL);
        }
    }

    private PrintStream console = System.out;

    /** Whether the run passed ({@link #failures} is empty). */
    static boolean passed(Report report) {
        return failures(report).isEmpty();
    }

    /**
     * Why the run failed, one line each; empty when it passed: no wrong bytes anywhere; failed reads, time-cap stops
     * and not running at all (the tool is missing, or it failed) only for s3fs and rclone. A prefetchd contender, the
     * all-local bound or direct GETs that did not start, or threw while running, fail the run: their numbers are
     * what the benchmark is for.
     */
    static List<String> failures(Report report) {
        List<String> out = new ArrayList<>();
        for (EpochResult r : report.results()) {
            if (!acceptable(r)) {
                out.add(r.contender() + " epoch " + r.epoch() + ": " + r.badBytes() + " samples with wrong bytes, "
                        + r.errors() + " failed reads");
            }
        }
        for (Workload.Stop s : report.stops()) {
            if (!(acceptable(s.partial()) && MAY_FAIL_READS.contains(s.contender()))) {
                out.add(s.contender() + ": " + s.describe() + " (--max-contender-seconds)");
            }
        }
        for (Map.Entry<String, String> s : report.skipped().entrySet()) {
            if (!MAY_FAIL_READS.contains(s.getKey())) {
                out.add(s.getKey() + " did not run: " + s.getValue());
            }
        }
        return out;
    }

    private static boolean acceptable(EpochResult r) {
        return r.badBytes() == 0 && (r.errors() == 0 || MAY_FAIL_READS.contains(r.contender()));
    }

    /** What a run produced: the report and where it was written. */
    public record Outcome(Report report, Dataset dataset, Path json, Path png, Map<String, Object> document) {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchCommand()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Outcome o = execute();
        List<String> failures = failures(o.report());
        for (String f : failures) {
            console.println("FAILED: " + f);
        }
        return failures.isEmpty() ? 0 : 1;
    }

    long datasetBytes() {
        return Sizes.parse(datasetSize != null ? datasetSize : quick ? "64MiB" : "2GiB");
    }

    /** Body of the GET-rate check's GETs: one mean sample, as a GET per sample fetches. */
    int rateGetBytes() {
        return (int) Math.min(Sizes.parse(sampleSize), 16L << 20);
    }

    int epochCount() {
        return epochs != null ? epochs : quick ? 2 : 3;
    }

    public Outcome execute() throws Exception {
        for (String c : contenders) {
            if (!ALL.contains(c)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "unknown contender '" + c
                        + "'; known: " + String.join(",", ALL));
            }
        }
        if (cacheFraction <= 0 || cacheFraction > 1) {
            throw new IllegalArgumentException("--cache-fraction must be in (0, 1], not " + cacheFraction);
        }
        if (maxContenderSeconds < 0) {
            throw new IllegalArgumentException("--max-contender-seconds must be >= 0, not " + maxContenderSeconds);
        }
        long d = datasetBytes();
        int n = epochCount();
        S3Profile profile = new S3Profile(latencyMs, jitterMs, Sizes.parse(bandwidth), Sizes.parse(connBandwidth),
                seed);
        double threshold = waitThresholdMs != null ? waitThresholdMs : Math.max(1, latencyMs / 2);
        String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now());
        Path outDir = out != null ? out : Path.of("bench-results", stamp);
        Files.createDirectories(outDir);
        boolean tempWork = work == null;
        Path w = tempWork ? Files.createTempDirectory("prefetchd-bench") : Files.createDirectories(work);
        console.printf(Locale.ROOT, "prefetchd benchmark: %s, D = %s, samples ~%s, c = %.2f, S3 %s ms +- %s, "
                        + "bandwidth %s aggregate / %s per connection, K = %d readers, N = %d epochs, compute %s ms, "
                        + "seed %d%n", layout, Sizes.format(d), sampleSize, cacheFraction, fmt(latencyMs), fmt(jitterMs),
                S3Emulator.rate(profile.aggregateBytesPerSecond()), S3Emulator.rate(profile.perConnectionBytesPerSecond()),
                readers, n, fmt(computeMs), seed);
        console.println("work folder " + w + ", output " + outDir.toAbsolutePath());
        try {
            return runIn(w, outDir, d, n, profile, threshold);
        } finally {
            if (tempWork) {
                deleteTree(w);
            }
        }
    }

    private Outcome runIn(Path w, Path outDir, long d, int n, S3Profile profile, double threshold) throws Exception {
        long t0 = System.nanoTime();
        Dataset ds = Dataset.generate(w.resolve("local"), layout, d, (int) Sizes.parse(sampleSize), seed);
        console.printf(Locale.ROOT, "dataset: %d samples in %d objects, %s (samples %s), generated and indexed in %.1f s%n",
                ds.samples().size(), ds.objects(), Sizes.format(ds.totalBytes()), Sizes.format(ds.sampleBytes()),
                (System.nanoTime() - t0) / 1e9);
        long warmBytes = Sizes.parse(warmUp);
        Dataset warm = warmBytes > 0 ? Dataset.generate(w.resolve("local"), layout, "warm-up-" + layout, warmBytes,
                (int) Sizes.parse(sampleSize), seed + 1) : null;
        long cacheBytes = (long) (cacheFraction * ds.totalBytes());
        Map<String, String> skipped = new LinkedHashMap<>();
        Map<String, String> clients = new LinkedHashMap<>();
        Map<String, List<String>> notes = new LinkedHashMap<>();
        List<EpochResult> results = new ArrayList<>();
        List<Workload.Stop> stops = new ArrayList<>();
        S3Emulator.SelfCheck check;
        try (S3Emulator s3 = S3Emulator.start(w.resolve("s3"), "bench", profile)) {
            t0 = System.nanoTime();
            try (var client = s3.newClient(8)) {
                ds.upload(client, s3.bucket());
                if (warm != null) {
                    warm.upload(client, s3.bucket());
                }
            }
            console.printf(Locale.ROOT, "uploaded to emulated S3 at %s in %.1f s%n", s3.endpoint(),
                    (System.nanoTime() - t0) / 1e9);
            check = s3.selfCheck(console, rateGetBytes());
            s3.setShaping(true);
            Workload workload = new Workload(ds, readers, computeMs, threshold, seed, keepOpen);
            if (sameOrder) {
                workload.sameOrderEveryEpoch();
            }
            PrefetchdContender.DaemonLauncher launcher = new PrefetchdContender.DaemonLauncher(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    System.getProperty("java.class.path"), daemonHeap, gatewayGrain, daemonJavaOptions);
            PrefetchdContender.DaemonFlags flags = null;
            if (warm != null && contenders.stream().anyMatch(name -> name.startsWith("prefetchd"))) {
                flags = PrefetchdContender.DaemonFlags.probe(launcher);
                warmHarness(ds, warm, s3, cacheBytes, w.resolve("run-harness-warm-up"), launcher, flags, threshold);
            }
            for (String name : contenders.stream().distinct().toList()) {
                Path cw = w.resolve("run-" + name);
                Contender c;
                try {
                    if (name.startsWith("prefetchd") && flags == null) {
                        flags = PrefetchdContender.DaemonFlags.probe(launcher);
                    }
                    c = switch (name) {
                        case "all-local" -> new FolderContender(name, "local file system, positional reads of the "
                                + "dataset's files (page cache warm)", ds.localRoot());
                        case "direct-get" -> new DirectGetContender(s3, readers);
                        case "prefetchd-hints" -> PrefetchdContender.start(PrefetchdContender.Mode.HINTS, ds, s3,
                                cacheBytes, cw, launcher, requireNonNull(flags, "probed above"));
                        case "prefetchd-s3-hints" -> PrefetchdContender.start(PrefetchdContender.Mode.S3_HINTS, ds,
                                s3, cacheBytes, cw, launcher, requireNonNull(flags, "probed above"));
                        case "prefetchd-nohints" -> PrefetchdContender.start(PrefetchdContender.Mode.NO_HINTS, ds, s3,
                                cacheBytes, cw, launcher, requireNonNull(flags, "probed above"));
                        case "prefetchd-lru" -> PrefetchdContender.start(PrefetchdContender.Mode.LRU, ds, s3,
                                cacheBytes, cw, launcher, requireNonNull(flags, "probed above"));
                        case "s3fs" -> FuseContender.s3fs(s3, cacheBytes, cw);
                        case "rclone" -> FuseContender.rclone(s3, cacheBytes, cw);
                        default -> throw new IllegalStateException(name);
                    };
                } catch (Contender.Unavailable e) {
                    skipped.put(name, e.getMessage());
                    console.println(name + ": skipped: " + e.getMessage());
                    continue;
                }
                try (c) {
                    clients.put(name, c.client());
                    if (warm != null && c instanceof PrefetchdContender p) {
                        warmUp(p, warm, s3, threshold);
                    }
                    console.println(name + ": reading through " + c.client());
                    Workload.ContenderRun run = workload.run(c, n, s3::counters,
                            TimeUnit.SECONDS.toNanos(maxContenderSeconds));
                    List<EpochResult> rs = run.epochs();
                    for (EpochResult r : rs) {
                        console.printf(Locale.ROOT, "  epoch %d: %.2f s, %.0f samples/s, waited %.1f%%, p50 %.1f ms, "
                                        + "p99 %.1f ms, %d GETs, %d HEADs, %d LISTs, %s from S3, %d/%d samples "
                                        + "correct%n", r.epoch(), r.wallSeconds(), r.samplesPerSecond(),
                                100 * r.waitedShare(), r.p50Millis(), r.p99Millis(), r.s3().gets(), r.s3().heads(),
                                r.s3().lists(), Sizes.format(r.s3().getBytes()), r.samplesOk(), r.samples());
                    }
                    results.addAll(rs);
                    run.stop().ifPresent(stop -> {
                        stops.add(stop);
                        console.println("  " + stop.describe() + " (--max-contender-seconds); "
                                + stop.partial().samplesOk() + " read correctly");
                    });
                    if (!c.notes().isEmpty()) {
                        notes.put(name, c.notes());
                        c.notes().forEach(x -> console.println("  note: " + x));
                    }
                } catch (Exception e) {
                    skipped.put(name, "failed while running: " + e);
                    console.println(name + ": failed: " + e);
                    if (c instanceof PrefetchdContender p) {
                        console.println("  daemon log: " + p.log());
                    }
                }
            }
        }
        Report report = new Report(results, stops, skipped, cacheFraction, ds.totalBytes(),
                profile.aggregateBytesPerSecond(), check.getRate().perSecond());
        console.println();
        console.printf(Locale.ROOT, "(1-c)D = %s; bound = max(all-local, (1-c)D / %s); waited = read slower than %s ms%n",
                Sizes.format(Math.round(report.missBytes())), S3Emulator.rate(profile.aggregateBytesPerSecond()), fmt(threshold));
        console.printf(Locale.ROOT, "epoch bound = max(all-local, the epoch's S3 bytes / %s, its GETs / %,.0f GETs/s "
                        + "measured), with the term that binds%n", S3Emulator.rate(profile.aggregateBytesPerSecond()),
                check.getRate().perSecond());
        report.printTable(console);
        console.println();
        report.printCpu(console, Runtime.getRuntime().availableProcessors());
        Map<String, Object> doc = document(report, ds, d, n, profile, threshold, cacheBytes, check, clients, notes);
        Path json = outDir.resolve("run.json");
        Files.writeString(json, Json.pretty(doc));
        try (PrintStream table = new PrintStream(Files.newOutputStream(outDir.resolve("table.txt")))) {
            report.printTable(table);
            table.println();
            report.printCpu(table, Runtime.getRuntime().availableProcessors());
        }
        Path png = outDir.resolve("run.png");
        double transfer = profile.aggregateBytesPerSecond() > 0 ? report.missBytes() / profile.aggregateBytesPerSecond()
                : 0;
        Plot.write(report, String.format(Locale.ROOT, "%s %s, c=%.2f, S3 %s ms, %s, K=%d", layout,
                Sizes.format(ds.totalBytes()), cacheFraction, fmt(latencyMs),
                S3Emulator.rate(profile.aggregateBytesPerSecond()), readers), transfer, png);
        console.println("wrote " + json.toAbsolutePath() + ", " + png.toAbsolutePath());
        return new Outcome(report, ds, json, png, doc);
    }

    /**
     * Reads {@code warm} through a daemon of no contender's, unmeasured, so that this JVM (the emulated S3 and the
     * readers) has compiled what the contenders' reads run through before the first of them is measured: otherwise
     * its JIT takes a share of the cores during the first prefetchd contender's epochs only (S3Proxy's request
     * handler was compiled again and again for the first ~90 s of a run).
     */
    private void warmHarness(Dataset ds, Dataset warm, S3Emulator s3, long cacheBytes, Path cw,
                             PrefetchdContender.DaemonLauncher launcher, PrefetchdContender.DaemonFlags flags,
                             double threshold) throws Exception {
        long t0 = System.nanoTime();
        try (PrefetchdContender p = PrefetchdContender.start(PrefetchdContender.Mode.LRU, ds, s3, cacheBytes, cw,
                launcher, flags)) {
            readTwice(p, warm, s3, threshold, seed + 2);
        }
        console.printf(Locale.ROOT, "harness warm-up: %d samples of %s read twice through a daemon of its own in "
                + "%.1f s, before the first contender%n", warm.samples().size(), warm.folder(),
                (System.nanoTime() - t0) / 1e9);
    }

    /** Reads {@code warm} through {@code p}'s daemon for two epochs; a wrong or failed read fails the contender. */
    private void warmUp(PrefetchdContender p, Dataset warm, S3Emulator s3, double threshold) throws Exception {
        long t0 = System.nanoTime();
        List<EpochResult> rs = readTwice(p, warm, s3, threshold, seed + 1);
        String line = String.format(Locale.ROOT, "warm-up: %d samples of %s read twice through the daemon in "
                        + "%.1f s (epochs %.2f s and %.2f s), before its first measured epoch",
                warm.samples().size(), warm.folder(), (System.nanoTime() - t0) / 1e9, rs.get(0).wallSeconds(),
                rs.get(1).wallSeconds());
        console.println(p.name() + ": " + line);
        p.note(line);
    }

    /** Reads {@code warm} through {@code p}'s daemon for two unmeasured epochs; a wrong or failed read throws. */
    private List<EpochResult> readTwice(PrefetchdContender p, Dataset warm, S3Emulator s3, double threshold,
                                        long orderSeed) throws Exception {
        List<EpochResult> rs = p.warmUp(warm, new Workload(warm, readers, 0, threshold, orderSeed, keepOpen), 2,
                s3::counters);
        for (EpochResult r : rs) {
            if (r.samplesOk() != warm.samples().size()) {
                throw new IllegalStateException("warm-up epoch " + r.epoch() + ": " + r.samplesOk() + " of "
                        + warm.samples().size() + " samples read correctly (" + r.badBytes() + " wrong, "
                        + r.errors() + " failed)");
            }
        }
        return rs;
    }

    private Map<String, Object> document(Report report, Dataset ds, long d, int n, S3Profile profile,
                                         double threshold, long cacheBytes, S3Emulator.SelfCheck check,
                                         Map<String, String> clients, Map<String, List<String>> notes) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("layout", layout);
        params.put("dataset_size_requested", d);
        params.put("dataset_bytes", ds.totalBytes());
        params.put("sample_bytes", ds.sampleBytes());
        params.put("samples", ds.samples().size());
        params.put("objects", ds.objects());
        params.put("sample_size_mean", Sizes.parse(sampleSize));
        params.put("cache_fraction", cacheFraction);
        params.put("cache_bytes", cacheBytes);
        params.put("s3_first_byte_ms", latencyMs);
        params.put("s3_jitter_ms", jitterMs);
        params.put("s3_aggregate_bytes_per_second", profile.aggregateBytesPerSecond());
        params.put("s3_connection_bytes_per_second", profile.perConnectionBytesPerSecond());
        params.put("readers", readers);
        params.put("epochs", n);
        params.put("compute_ms", computeMs);
        params.put("wait_threshold_ms", threshold);
        params.put("seed", seed);
        params.put("keep_open", keepOpen);
        params.put("quick", quick);
        params.put("gateway_grain", gatewayGrain == null ? "daemon default" : gatewayGrain);
        params.put("max_contender_seconds", maxContenderSeconds);
        params.put("warm_up_bytes", Sizes.parse(warmUp));
        params.put("daemon_java_options", daemonJavaOptions);
        params.put("contenders", contenders);
        Map<String, Object> emu = new LinkedHashMap<>();
        emu.put("small_get_bytes", check.smallBytes());
        emu.put("small_get_ms", check.smallGetMillis());
        emu.put("small_get_expected_ms", check.expectedSmallMillis());
        emu.put("large_get_bytes", check.largeBytes());
        emu.put("large_get_ms", check.largeGetMillis());
        emu.put("large_get_expected_ms", check.expectedLargeMillis());
        emu.put("large_get_body_mib_per_second", check.largeMiBps());
        emu.put("unshaped_small_get_ms", check.unshapedSmallMillis());
        emu.put("unshaped_large_get_ms", check.unshapedLargeMillis());
        S3Emulator.GetRate rate = check.getRate();
        Map<String, Object> getRate = new LinkedHashMap<>();
        getRate.put("gets_per_second", rate.perSecond());
        getRate.put("get_bytes", rate.bodyBytes());
        getRate.put("in_flight", rate.inFlight());
        getRate.put("gets_counted", rate.requests());
        getRate.put("seconds", rate.seconds());
        getRate.put("latency_ceiling_gets_per_second", rate.latencyCeiling());
        getRate.put("bandwidth_ceiling_gets_per_second", rate.bandwidthCeiling());
        emu.put("get_rate", getRate);
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("tool", "prefetchd benchmarks/run");
        doc.put("time", Instant.now().toString());
        doc.put("machine", machine());
        doc.put("parameters", params);
        doc.put("emulator_self_check", emu);
        doc.put("clients", clients);
        doc.put("notes", notes);
        doc.put("skipped", report.skipped());
        doc.put("stopped", report.stopRows());
        doc.put("miss_bytes", report.missBytes());
        doc.put("results", report.rows());
        return doc;
    }

    private static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        m.put("cpus", Runtime.getRuntime().availableProcessors());
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    m.put("memory", line.substring(9).trim());
                }
            }
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    m.put("cpu", line.substring(line.indexOf(':') + 1).trim());
                    break;
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        m.put("jvm_args", ManagementFactory.getRuntimeMXBean().getInputArguments());
        m.put("git_commit", command("git", "rev-parse", "HEAD"));
        m.put("s3fs", command("s3fs", "--version").lines().findFirst().orElse(""));
        m.put("rclone", command("rclone", "version").lines().findFirst().orElse(""));
        m.put("s3proxy", "4.1.0 (in-process, FilesystemNio2BlobStore)");
        return m;
    }

    private static String command(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String s = new String(p.getInputStream().readAllBytes()).strip();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? s : "";
        } catch (IOException | InterruptedException e) {
            return "";
        }
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v);
    }

    void console(PrintStream p) {
        this.console = p;
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        String under = " " + p.toAbsolutePath() + "/";
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            if (line.contains(under)) {
                System.err.println("not deleting " + p + ": something is still mounted below it: " + line);
                return;
            }
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(x);
            }
        }
    }
}
