package io.prefetchd.planner.sim;

import io.prefetchd.planner.units.Sizes;
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
        footer = {"", "Example: prefetchd simulate --workload webdataset --cache-fraction 0.3 --bandwidth 80MiB/s"})
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

    @Option(names = "--trace", paramLabel = "READS.csv",
            description = "Replay a recorded trace (epoch,sample per line) instead of a synthetic workload.")
    Path trace;

    @Option(names = "--extents", paramLabel = "EXTENTS.csv",
            description = "The trace's dataset (sample,object,offset,length per line); needed with --trace.")
    Path extents;

    @Option(names = "--json", description = "Print JSON instead of the table.")
    boolean json;

    @Option(names = "--json-out", paramLabel = "FILE", description = "Also write the JSON report to FILE.")
    Path jsonOut;

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
        try {
            config = config();
            w = workload();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        SimulationReport report = Simulator.run(w, config);
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? report.toJson() : report.toTable());
        out.flush();
        if (jsonOut != null) {
            Files.writeString(jsonOut, report.toJson(), StandardCharsets.UTF_8);
        }
        return 0;
    }

    SimulationConfig config() {
        List<PolicyKind> kinds = new ArrayList<>();
        for (String p : policies) {
            kinds.add(PolicyKind.parse(p));
        }
        if (kinds.isEmpty()) {
            kinds.addAll(List.of(PolicyKind.values()));
        }
        if (warmup >= epochs && trace == null) {
            throw new IllegalArgumentException("--warmup-epochs (" + warmup + ") leaves no epoch of " + epochs
                    + " to measure");
        }
        return new SimulationConfig(cacheFraction, Units.duration(latency), Units.bytesPerSecond(bandwidth),
                concurrency, Units.bytesPerSecond(reader), readerDepth, warmup, hintLead, margin, kinds);
    }

    Workload workload() {
        if (trace != null || extents != null) {
            if (trace == null || extents == null) {
                throw new IllegalArgumentException("--trace and --extents go together");
            }
            return TraceFiles.read(extents, trace);
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
