package io.prefetchd.benchmarks.harness;

import io.prefetchd.planner.json.Json;
import io.prefetchd.planner.units.Sizes;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code benchmarks/run-fleet}: a fleet of three gateways against three independent gateways, each with a cache of
 * C, on one dataset of D = 4C behind one emulated S3, read by one hinted job of three ranks, one rank per gateway.
 *
 * <p>Question: does the fleet's cache add up? An independent gateway caches for its own rank; since each epoch
 * shuffles the samples over the ranks, its cache C holds a fraction C/D of what its rank reads next, so the three
 * fetch about {@code (1 − C/D)·D} per warm epoch between them. The fleet's members each own a third of the grains and
 * plan for the fleet's cache, so a warm epoch should fetch about {@code (1 − 3C/D)·D}: a third of that at D = 4C,
 * paid for with peer traffic (the grains a rank reads that another member owns). Per setup and epoch: S3 GETs and
 * bytes (the emulator's counters), time, and peer bytes (the members' {@code prefetchd_fleet_peer_received_bytes}),
 * against the ideal. Rerun: {@code benchmarks/run-fleet} or {@code benchmarks/run-fleet --size quick}.
 */
@Command(name = "benchmarks/run-fleet", mixinStandardHelpOptions = true, sortOptions = false,
        description = "A fleet of 3 gateways against 3 independent gateways, each with cache C = D/4, one hinted job of "
                + "3 ranks; prints a table, writes fleet.json.")
public final class FleetBench implements Callable<Integer> {
    /** Gateways per setup, and ranks of the job. */
    static final int GATEWAYS = 3;
    static final String FLEET = "fleet";
    static final String INDEPENDENT = "independent";

    /** How large a run is. */
    public enum Size {
        /** About 35 s of reading (two minutes with the daemons' start-ups): checks that the benchmark works. */
        QUICK("48MiB", 3),
        /** The size the figures are stated at. */
        FULL("384MiB", 4);

        final String dataset;
        final int epochs;

        Size(String dataset, int epochs) {
            this.dataset = dataset;
            this.epochs = epochs;
        }
    }

    @Option(names = "--size", description = "QUICK (D = 48 MiB, 3 epochs) or FULL (384 MiB, 4 epochs). Default: ${DEFAULT-VALUE}")
    Size size = Size.FULL;
    @Option(names = "--layout", description = "webdataset or files. Default: ${DEFAULT-VALUE}")
    String layout = "webdataset";
    @Option(names = "--dataset-size", description = "Dataset size D; each gateway's cache is D/4. Default: 384MiB "
            + "(quick: 48MiB)")
    String datasetSize;
    @Option(names = "--sample-size", description = "Mean sample size. Default: ${DEFAULT-VALUE}")
    String sampleSize = "100KiB";
    @Option(names = {"-n", "--epochs"}, description = "Epochs (epoch 0 is cold). Default: 4 (quick: 3)")
    Integer epochs;
    @Option(names = {"-k", "--readers"}, description = "Reader threads per rank. Default: ${DEFAULT-VALUE}")
    int readers = 4;
    @Option(names = "--latency-ms", description = "S3 first-byte latency. Default: ${DEFAULT-VALUE}")
    double latencyMs = 40;
    @Option(names = "--jitter-ms", description = "First-byte latency is uniform in latency +- jitter. Default: ${DEFAULT-VALUE}")
    double jitterMs = 10;
    @Option(names = "--bandwidth", description = "Aggregate S3 bandwidth per second. Default: ${DEFAULT-VALUE}")
    String bandwidth = "400MiB";
    @Option(names = "--conn-bandwidth", description = "Per-connection S3 bandwidth per second. Default: ${DEFAULT-VALUE}")
    String connBandwidth = "80MiB";
    @Option(names = "--gateway-grain", description = "prefetchd.cache.grain of every gateway. Default: the daemon's")
    Integer gatewayGrain;
    @Option(names = "--daemon-heap", description = "Heap of each gateway's JVM. Default: ${DEFAULT-VALUE}")
    String daemonHeap = "384m";
    @Option(names = "--setups", split = ",", description = "fleet, independent or both. Default: both")
    List<String> setups = new ArrayList<>(List.of(FLEET, INDEPENDENT));
    @Option(names = "--seed", description = "Seeds data, order and jitter. Default: ${DEFAULT-VALUE}")
    long seed = 42;
    @Option(names = "--out", description = "Folder for fleet.json and table.txt. Default: bench-results/fleet-<UTC time>")
    Path out;
    @Option(names = "--work", description = "Scratch folder. Default: a temp folder, deleted after")
    Path work;

    private PrintStream console = System.out;

    /**
     * One setup's epoch.
     *
     * @param idealS3Bytes what an ideal cache of the setup's capacity fetches: D in the cold epoch 0, then
     *     {@code max(0, D − capacity)} (capacity 3C for the fleet, C for each independent gateway)
     * @param peerBytes bytes members received from owners over the peer channel (0 for independent gateways)
     * @param peerFallbacks peer reads that fell back to S3 (owner unreachable or too slow)
     */
    record Row(String setup, int epoch, double seconds, long s3Gets, long s3Bytes, long idealS3Bytes, long peerBytes,
               long peerFallbacks, int samples, int samplesOk, int badBytes, int errors) {
        double s3OverIdeal() {
            return idealS3Bytes == 0 ? Double.NaN : (double) s3Bytes / idealS3Bytes;
        }

        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("setup", setup);
            m.put("epoch", epoch);
            m.put("seconds", seconds);
            m.put("s3_gets", s3Gets);
            m.put("s3_bytes", s3Bytes);
            m.put("ideal_s3_bytes", idealS3Bytes);
            m.put("peer_bytes", peerBytes);
            m.put("peer_fallbacks", peerFallbacks);
            m.put("samples", samples);
            m.put("samples_ok", samplesOk);
            m.put("bad_bytes", badBytes);
            m.put("errors", errors);
            return m;
        }
    }

    /** What a run produced. */
    public record Outcome(List<Row> rows, Dataset dataset, long cacheBytes, Path json, Map<String, Object> document) {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new FleetBench()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Outcome o = execute();
        boolean correct = o.rows().stream().allMatch(r -> r.badBytes() == 0 && r.errors() == 0
                && r.samplesOk() == r.samples());
        if (!correct) {
            console.println("FAILED: some sample was read with wrong bytes or not at all");
        }
        return correct ? 0 : 1;
    }

    void console(PrintStream p) {
        this.console = p;
    }

    public Outcome execute() throws Exception {
        for (String s : setups) {
            if (!s.equals(FLEET) && !s.equals(INDEPENDENT)) {
                throw new IllegalArgumentException("--setups takes fleet and independent, not " + s);
            }
        }
        long d = Sizes.parse(datasetSize != null ? datasetSize : size.dataset);
        int n = epochs != null ? epochs : size.epochs;
        if (n < 1) {
            throw new IllegalArgumentException("--epochs must be at least 1, not " + n);
        }
        S3Profile profile = new S3Profile(latencyMs, jitterMs, Sizes.parse(bandwidth), Sizes.parse(connBandwidth),
                seed);
        String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now());
        Path outDir = Files.createDirectories(out != null ? out : Path.of("bench-results", "fleet-" + stamp));
        boolean tempWork = work == null;
        Path w = tempWork ? Files.createTempDirectory("prefetchd-fleet-bench") : Files.createDirectories(work);
        try {
            return runIn(w, outDir, d, n, profile);
        } finally {
            if (tempWork) {
                BenchCommand.deleteTree(w);
            }
        }
    }

    private Outcome runIn(Path w, Path outDir, long d, int n, S3Profile profile) throws Exception {
        Dataset ds = Dataset.generate(w.resolve("local"), layout, d, (int) Sizes.parse(sampleSize), seed);
        long cache = ds.totalBytes() / 4;
        console.printf(Locale.ROOT, "fleet benchmark: %s, D = %s (%d samples in %d objects), C = D/4 = %s per gateway, "
                        + "%d gateways, %d ranks x %d readers, %d epochs, S3 %s ms +- %s, %s aggregate / %s per "
                        + "connection%n", layout, Sizes.format(ds.totalBytes()), ds.samples().size(), ds.objects(),
                Sizes.format(cache), GATEWAYS, GATEWAYS, readers, n, fmt(latencyMs), fmt(jitterMs),
                S3Emulator.rate(profile.aggregateBytesPerSecond()), S3Emulator.rate(profile.perConnectionBytesPerSecond()));
        Workload orders = new Workload(ds, readers, 0, latencyMs / 2, seed);
        PrefetchdContender.DaemonLauncher launcher = new PrefetchdContender.DaemonLauncher(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                System.getProperty("java.class.path"), daemonHeap, gatewayGrain);
        List<Row> rows = new ArrayList<>();
        Map<String, List<String>> notes = new LinkedHashMap<>();
        try (S3Emulator s3 = S3Emulator.start(w.resolve("s3"), "bench", profile)) {
            try (var client = s3.newClient(8)) {
                ds.upload(client, s3.bucket());
            }
            s3.setShaping(true);
            for (String setup : List.of(FLEET, INDEPENDENT)) {
                if (setups.contains(setup)) {
                    List<String> setupNotes = new ArrayList<>();
                    rows.addAll(runSetup(setup, ds, s3, cache, w.resolve(setup), launcher, orders, n, setupNotes));
                    notes.put(setup, setupNotes);
                }
            }
        }
        console.println();
        printTable(rows, console);
        Map<String, Object> doc = document(rows, ds, cache, n, profile, notes);
        Path json = outDir.resolve("fleet.json");
        Files.writeString(json, Json.pretty(doc));
        try (PrintStream table = new PrintStream(Files.newOutputStream(outDir.resolve("table.txt")), true, "UTF-8")) {
            printTable(rows, table);
        }
        console.println("wrote " + json.toAbsolutePath());
        return new Outcome(rows, ds, cache, json, doc);
    }

    private List<Row> runSetup(String setup, Dataset ds, S3Emulator s3, long cache, Path dir,
                               PrefetchdContender.DaemonLauncher launcher, Workload orders, int n, List<String> notes)
            throws Exception {
        boolean fleet = setup.equals(FLEET);
        long capacity = fleet ? GATEWAYS * cache : cache;
        List<Row> rows = new ArrayList<>();
        long started = System.nanoTime();
        try (GatewayGroup g = GatewayGroup.start(GATEWAYS, fleet, ds, s3, cache, dir, launcher)) {
            if (fleet) {
                awaitFleet(g, cache);
            }
            console.printf(Locale.ROOT, "%s: %d gateways up in %.1f s%n", setup, GATEWAYS,
                    (System.nanoTime() - started) / 1e9);
            List<HintClient> hints = new ArrayList<>();
            int[] nfsPorts = new int[GATEWAYS];
            try {
                for (int r = 0; r < GATEWAYS; r++) {   // each rank registers the dataset with its own gateway
                    HintClient h = new HintClient(g.grpcPort(r), notes);
                    hints.add(h);
                    h.register(ds);
                    nfsPorts[r] = g.nfsPort(r);
                }
                try (RankedJob job = new RankedJob(ds, nfsPorts, readers)) {
                    for (int e = 0; e < n; e++) {
                        int[] order = orders.order(e);
                        // counted from before the hints: the planners start fetching as soon as they have them
                        S3Emulator.Counters before = s3.counters();
                        double peerBefore = g.sum("prefetchd_fleet_peer_received_bytes_total", "");
                        double fallbackBefore = g.sum("prefetchd_fleet_peer_reads_total", "outcome=\"fallback\"");
                        for (int r = 0; r < GATEWAYS; r++) {
                            hints.get(r).publish("bench", e, r, GATEWAYS, RankedJob.share(order, r, GATEWAYS));
                        }
                        RankedJob.Epoch got = job.run(order);
                        S3Emulator.Counters used = s3.counters().minus(before);
                        long peer = Math.round(g.sum("prefetchd_fleet_peer_received_bytes_total", "") - peerBefore);
                        long fallbacks = Math.round(g.sum("prefetchd_fleet_peer_reads_total", "outcome=\"fallback\"")
                                - fallbackBefore);
                        long ideal = e == 0 ? ds.totalBytes() : Math.max(0, ds.totalBytes() - capacity);
                        Row row = new Row(setup, e, got.seconds(), used.gets(), used.getBytes(), ideal, peer,
                                fallbacks, got.samples(), got.samplesOk(), got.badBytes(), got.errors());
                        rows.add(row);
                        console.printf(Locale.ROOT, "  %s epoch %d: %.2f s, %,d GETs, %s from S3 (ideal %s), %s peer, "
                                        + "%d/%d samples correct%s%n", setup, e, got.seconds(), used.gets(),
                                Sizes.format(used.getBytes()), Sizes.format(ideal), Sizes.format(peer),
                                got.samplesOk(), got.samples(),
                                got.firstError().isEmpty() ? "" : "; first failure: " + got.firstError());
                    }
                }
            } finally {
                for (HintClient h : hints) {
                    h.close();
                }
            }
        } catch (Exception e) {
            console.println(setup + ": failed: " + e + " (gateway logs in " + dir + ")");
            throw e;
        }
        return rows;
    }

    /** Waits until every member sees the whole fleet, owns its share of the partitions and knows the fleet's cache. */
    private static void awaitFleet(GatewayGroup g, long cache) throws InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (true) {
            boolean formed = true;
            for (int i = 0; i < g.size() && formed; i++) {
                formed = g.metric(i, "prefetchd_fleet_members", "") == g.size()
                        && g.metric(i, "prefetchd_fleet_owned_partitions", "") > 0
                        && g.metric(i, "prefetchd_fleet_capacity_bytes", "") >= (double) g.size() * cache;
            }
            if (formed) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the fleet did not form within 120 s (logs: " + g.log(0) + ", ...)");
            }
            Thread.sleep(200);
        }
    }

    /** Mean S3 bytes of the setup's warm epochs (1 and later), or NaN without one. */
    static double warmS3Bytes(List<Row> rows, String setup) {
        return rows.stream().filter(r -> r.setup().equals(setup) && r.epoch() > 0).mapToLong(Row::s3Bytes).average()
                .orElse(Double.NaN);
    }

    static void printTable(List<Row> rows, PrintStream p) {
        p.printf(Locale.ROOT, "%-12s %3s %8s %7s %9s %10s %9s %9s %6s %9s%n", "setup", "ep", "time s", "GETs",
                "S3 MiB", "ideal MiB", "S3/ideal", "peer MiB", "fallbk", "ok");
        for (Row r : rows) {
            p.printf(Locale.ROOT, "%-12s %3d %8.2f %7d %9.1f %10.1f %9.2f %9.1f %6d %9s%n", r.setup(), r.epoch(),
                    r.seconds(), r.s3Gets(), r.s3Bytes() / 1048576.0, r.idealS3Bytes() / 1048576.0, r.s3OverIdeal(),
                    r.peerBytes() / 1048576.0, r.peerFallbacks(), r.samplesOk() + "/" + r.samples());
        }
        double fleet = warmS3Bytes(rows, FLEET);
        double independent = warmS3Bytes(rows, INDEPENDENT);
        if (!Double.isNaN(fleet) && !Double.isNaN(independent)) {
            p.printf(Locale.ROOT, "warm epochs, mean S3 bytes: fleet %.1f MiB, independent %.1f MiB, fleet / "
                    + "independent %.2f%n", fleet / 1048576.0, independent / 1048576.0, fleet / independent);
        }
    }

    private Map<String, Object> document(List<Row> rows, Dataset ds, long cache, int n, S3Profile profile,
                                         Map<String, List<String>> notes) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("size", size.name());
        params.put("layout", layout);
        params.put("dataset_bytes", ds.totalBytes());
        params.put("sample_bytes", ds.sampleBytes());
        params.put("samples", ds.samples().size());
        params.put("objects", ds.objects());
        params.put("gateways", GATEWAYS);
        params.put("cache_bytes_per_gateway", cache);
        params.put("fleet_cache_bytes", GATEWAYS * cache);
        params.put("ranks", GATEWAYS);
        params.put("readers_per_rank", readers);
        params.put("epochs", n);
        params.put("s3_first_byte_ms", latencyMs);
        params.put("s3_jitter_ms", jitterMs);
        params.put("s3_aggregate_bytes_per_second", profile.aggregateBytesPerSecond());
        params.put("s3_connection_bytes_per_second", profile.perConnectionBytesPerSecond());
        params.put("gateway_grain", gatewayGrain == null ? "daemon default" : gatewayGrain);
        params.put("daemon_heap", daemonHeap);
        params.put("seed", seed);
        params.put("setups", setups);
        Map<String, Object> warm = new LinkedHashMap<>();
        double fleet = warmS3Bytes(rows, FLEET);
        double independent = warmS3Bytes(rows, INDEPENDENT);
        // a mean only for a setup that ran warm epochs, the ratio only when both did
        if (!Double.isNaN(fleet)) {
            warm.put("fleet_s3_bytes_mean", fleet);
        }
        if (!Double.isNaN(independent)) {
            warm.put("independent_s3_bytes_mean", independent);
        }
        if (!Double.isNaN(fleet) && !Double.isNaN(independent)) {
            warm.put("fleet_over_independent", fleet / independent);
        }
        warm.put("fleet_ideal_s3_bytes", Math.max(0, ds.totalBytes() - GATEWAYS * cache));
        warm.put("independent_ideal_s3_bytes", Math.max(0, ds.totalBytes() - cache));
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("tool", "prefetchd benchmarks/run-fleet");
        doc.put("time", Instant.now().toString());
        doc.put("parameters", params);
        doc.put("notes", notes);
        doc.put("rows", rows.stream().map(Row::json).toList());
        doc.put("warm_epochs", warm);
        return doc;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v);
    }
}
