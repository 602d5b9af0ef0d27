package io.prefetchd.planner.sim;

import io.prefetchd.planner.units.Sizes;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;

import static java.util.Objects.requireNonNull;

/**
 * {@code prefetchd simulate}: every cache policy and our planner side by side on one trace, in simulated time.
 *
 * <p>Meant to be added as a subcommand of the daemon's command line; runnable on its own through
 * {@link #run(String[], PrintWriter, PrintWriter)}. Bad options end with the usage and exit status 2.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Replays a synthetic or recorded trace through LRU, W-TinyLFU (Caffeine), OPT (Belady), pin-c "
                + "and the prefetch planner with and without hints, under an S3 latency/bandwidth model, and prints "
                + "hit ratio, S3 bytes and GETs, stall seconds and epoch time per policy. Time is simulated: a run "
                + "takes seconds.",
        footer = {"", "Example: prefetchd simulate --workload webdataset --cache-fraction 0.3 --bandwidth 80MiB/s",
                "         prefetchd simulate --trace prefetchd-state/traces/imagefolder_train~1c5e… --epoch 2 "
                        + "--cache-size 4GiB --policies lru,opt"})
public final class SimulateCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--workload", paramLabel = "KIND",
            description = "random, webdataset, ranks, parquet or repeated (default: ${DEFAULT-VALUE}).")
    String workload = "random";

    @Option(names = "--samples", description = "Samples (row groups for parquet) (default: ${DEFAULT-VALUE}).")
    int samples = 20_000;

    @Option(names = "--sample-size", paramLabel = "SIZE", description = "Bytes per sample (default: ${DEFAULT-VALUE}).")
    String sampleSize = "100KiB";

    @Option(names = "--epochs", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs = 5;

    @Option(names = "--warmup-epochs", description = "Epochs not measured (default: ${DEFAULT-VALUE}).")
    int warmup = 1;

    @Option(names = {"-c", "--cache-fraction"}, description = "Cache size / dataset size (default: ${DEFAULT-VALUE}).")
    double cacheFraction = 0.5;

    @Option(names = "--latency", paramLabel = "TIME", description = "S3 first-byte latency (default: ${DEFAULT-VALUE}).")
    String latency = "40ms";

    @Option(names = "--bandwidth", paramLabel = "RATE", description = "S3 bandwidth (default: ${DEFAULT-VALUE}).")
    String bandwidth = "120MiB/s";

    @Option(names = "--concurrency", description = "Prefetch GETs in flight (default: ${DEFAULT-VALUE}).")
    int concurrency = 64;

    @Option(names = "--reader", paramLabel = "RATE",
            description = "Reader throughput with all data local (default: ${DEFAULT-VALUE}).")
    String reader = "200MiB/s";

    @Option(names = "--reader-depth", description = "Reads the DataLoader keeps outstanding (default: ${DEFAULT-VALUE}).")
    int readerDepth = 8;

    @Option(names = "--samples-per-shard", description = "WebDataset shard size in samples (default: ${DEFAULT-VALUE}).")
    int samplesPerShard = 256;

    @Option(names = "--ranks", description = "Ranks for the ranks workload (default: ${DEFAULT-VALUE}).")
    int ranks = 4;

    @Option(names = "--row-groups-per-file", description = "Parquet row groups per file (default: ${DEFAULT-VALUE}).")
    int rowGroupsPerFile = 64;

    @Option(names = "--hint-lead", description = "Epochs ahead that orders are published (default: ${DEFAULT-VALUE}).")
    int hintLead = 1;

    @Option(names = "--margin", description = "Planner's Little's-law safety margin (default: ${DEFAULT-VALUE}).")
    double margin = 3.0;

    @Option(names = "--seed", description = "Random seed for synthetic workloads (default: ${DEFAULT-VALUE}).")
    long seed = 42;

    @Option(names = "--policies", split = ",", paramLabel = "POLICY",
            description = "Comma-separated: lru, w-tinylfu, opt, pin-c, ours-hints, ours-learned (default: all).")
    List<String> policies = new ArrayList<>();

    @Option(names = "--trace", paramLabel = "FILE|DIR",
            description = "Replay recorded reads instead of a synthetic workload: the gateway's trace files "
                    + "(an epoch-<n>.arrow, or a folder such as <state-dir>/traces/<dataset>), or the CSV of "
                    + "'prefetchd trace export'. Repeatable. Epochs replay in the order of their first read.")
    List<Path> trace = new ArrayList<>();

    @Option(names = "--extents", paramLabel = "EXTENTS.csv",
            description = "The trace's dataset (sample,object,offset,length per line). Without it each sample is "
                    + "the byte ranges its reads covered.")
    @Nullable Path extents;

    @Option(names = "--job", description = "With --trace: only this job's epochs.")
    @Nullable String job;

    @Option(names = "--epoch", paramLabel = "N",
            description = "With --trace: measure only the trace's epoch N, warmed by the epoch before it (its "
                    + "samples in first-read order), with one read outstanding: the method of the gateway's epoch "
                    + "reports, so LRU and OPT give the report's figures.")
    @Nullable Integer epoch;

    @Option(names = "--cache-size", paramLabel = "SIZE",
            description = "Cache capacity in bytes (e.g. 4GiB) instead of --cache-fraction; an epoch report's "
                    + "capacity is the gateway's cache size.")
    @Nullable String cacheSize;

    @Option(names = "--json", description = "Print JSON instead of the table.")
    boolean json;

    @Option(names = "--json-out", paramLabel = "FILE", description = "Also write the JSON report to FILE.")
    @Nullable Path jsonOut;

    /** Runs the command; returns the exit status (0 ok, 1 failed, 2 bad usage). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new SimulateCommand());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("prefetchd simulate: " + e.getMessage());
            return 1;
        });
        return cl.execute(args);
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true, StandardCharsets.UTF_8),
                new PrintWriter(System.err, true, StandardCharsets.UTF_8)));
    }

    @Override
    public Integer call() throws IOException {
        SimulationConfig config;
        Workload w;
        long capacity;
        try {
            config = config();
            w = workload();
            if (epoch != null) {
                w = oneEpoch(w);
                config = new SimulationConfig(config.cacheFraction(), config.latency(),
                        config.bandwidthBytesPerSecond(), config.concurrency(), config.readerBytesPerSecond(), 1,
                        w.epochs().size() - 1, config.hintLeadEpochs(), config.safetyMargin(), config.policies());
            }
            long datasetBytes = w.datasetBytes();
            capacity = cacheSize == null ? Math.round(config.cacheFraction() * datasetBytes) : Sizes.parse(cacheSize);
            if (cacheSize != null) {
                config = config.withCacheFraction(datasetBytes == 0 ? 1 : Math.min(1, (double) capacity / datasetBytes));
            }
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        SimulationReport report = Simulator.run(w, config, capacity);
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? report.toJson() : report.toTable());
        out.flush();
        if (jsonOut != null) {
            Files.writeString(jsonOut, report.toJson(), StandardCharsets.UTF_8);
        }
        return 0;
    }

    /** The trace's epoch {@link #epoch}, after the distinct samples of the epoch before it (if any). */
    private Workload oneEpoch(Workload all) {
        TraceReplay.Replay replay = requireNonNull(this.replay, "workload() read the trace");
        int i = replay.indexOf(requireNonNull(epoch, "--epoch is given"), job);
        List<io.prefetchd.planner.EpochOrder> epochs = new ArrayList<>();
        if (i > 0) {
            io.prefetchd.planner.EpochOrder before = all.epochs().get(i - 1);
            java.util.LinkedHashSet<Integer> distinct = new java.util.LinkedHashSet<>();
            for (int k = 0; k < before.size(); k++) {
                distinct.add(before.sampleAt(k));
            }
            epochs.add(io.prefetchd.planner.EpochOrder.of(0,
                    distinct.stream().mapToInt(Integer::intValue).toArray()));
        }
        io.prefetchd.planner.EpochOrder measured = all.epochs().get(i);
        int[] order = new int[measured.size()];
        for (int k = 0; k < order.length; k++) {
            order[k] = measured.sampleAt(k);
        }
        epochs.add(io.prefetchd.planner.EpochOrder.of(epochs.size(), order));
        TraceReplay.Epoch e = replay.epochs().get(i);
        return new Workload(all.name(), "recorded: " + e.dataset() + " / " + e.job() + " epoch " + e.epoch()
                + (i > 0 ? ", warmed by the epoch before" : ", cold"), all.dataset(), epochs);
    }

    private TraceReplay.@Nullable Replay replay;

    SimulationConfig config() {
        List<PolicyKind> kinds = new ArrayList<>();
        for (String p : policies) {
            kinds.add(PolicyKind.parse(p));
        }
        if (kinds.isEmpty()) {
            kinds.addAll(List.of(PolicyKind.values()));
        }
        if (warmup >= epochs && trace.isEmpty()) {
            throw new IllegalArgumentException("--warmup-epochs (" + warmup + ") leaves no epoch of " + epochs
                    + " to measure");
        }
        return new SimulationConfig(cacheFraction, Units.duration(latency), Units.bytesPerSecond(bandwidth),
                concurrency, Units.bytesPerSecond(reader), readerDepth, warmup, hintLead, margin, kinds);
    }

    Workload workload() {
        if (!trace.isEmpty()) {
            replay = TraceReplay.read(trace, job, extents == null ? null : TraceFiles.extents(extents));
            return replay.workload();
        }
        if (extents != null || job != null || epoch != null) {
            throw new IllegalArgumentException("--extents, --job and --epoch go with --trace");
        }
        long size = Sizes.parse(sampleSize);
        Random random = new Random(seed);
        return switch (workload.toLowerCase(Locale.ROOT)) {
            case "random" -> Workloads.randomPermutations(samples, size, epochs, random);
            case "webdataset" -> Workloads.webDataset(samples, size, samplesPerShard, epochs, random);
            case "ranks" -> Workloads.ranks(samples, size, samplesPerShard, ranks, epochs, random);
            case "parquet" -> Workloads.parquet(samples, size, rowGroupsPerFile, epochs, random);
            case "repeated" -> Workloads.repeated(samples, size, epochs, random);
            default -> throw new IllegalArgumentException("unknown workload '" + workload
                    + "'; expected random, webdataset, ranks, parquet or repeated");
        };
    }
}
