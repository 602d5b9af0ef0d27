package io.prefetchd.benchmarks.harness;

import io.prefetchd.gateway.nfs.client.Nfs4Client;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * prefetchd in one of three modes, each a fresh daemon (a child JVM: {@code io.prefetchd.gateway.daemon.Main serve})
 * with an empty cache of the run's cache size, read through real NFSv4.1 connections with the project's own client
 * ({@link Nfs4Client}, one connection per reader thread).
 *
 * <ul>
 *   <li>{@code HINTS}: planner on, dataset configured, and each epoch's order published over gRPC before it starts
 *       (RegisterDataset, then PublishEpoch with {@code le_indices});</li>
 *   <li>{@code NO_HINTS}: planner on and dataset configured, no hints (the gateway learns from traces);</li>
 *   <li>{@code LRU}: planner off, dataset configured (blocks follow samples): the plain LRU extent cache;</li>
 *   <li>{@code S3_HINTS}: as {@code HINTS}, but read through the daemon's S3 endpoint ({@code --s3-api-port}) with
 *       the direct-GET reader (one ranged GET per sample, AWS SDK v2) instead of NFS: the same cache and planner
 *       behind the other door.</li>
 * </ul>
 *
 * The planner settings ({@code --planner on|off}, {@code --dataset FORMAT:PATH}) are passed only when this build
 * of the daemon has them ({@code serve --help} lists them); otherwise a note says so and all three modes run the
 * daemon as it is.
 */
final class PrefetchdContender implements Contender {
    enum Mode { HINTS, NO_HINTS, LRU, S3_HINTS }

    /** The S3 endpoint's keys in {@code S3_HINTS} mode. */
    private static final String S3_API_ACCESS_KEY = "bench-s3-api";
    private static final String S3_API_SECRET_KEY = "bench-s3-api-secret";

    private static final Pattern NFS_PORT = Pattern.compile("mount -t nfs4 .*port=(\\d+)");
    private static final Pattern GRPC_PORT = Pattern.compile("hints: +grpc [^:]+:(\\d+)");
    private static final Pattern HTTP_PORT = Pattern.compile("metrics: +http://[^:]+:(\\d+)/metrics");
    private static final Pattern S3_PORT = Pattern.compile("s3: +http://[^ ]+:(\\d+) ");

    private final Mode mode;
    private final Dataset dataset;
    private final String bucketName;
    private final Daemon daemon;
    /** Created by the first reader through the daemon's S3 endpoint. */
    private @Nullable S3AsyncClient s3Client;
    private final List<String> notes = new ArrayList<>();
    /** Set before the first hinted epoch. */
    private @Nullable HintClient hints;

    private PrefetchdContender(Mode mode, Dataset dataset, Daemon daemon, String bucketName, List<String> notes) {
        this.daemon = daemon;
        this.bucketName = bucketName;
        this.mode = mode;
        this.dataset = dataset;
        this.notes.addAll(notes);
    }

    static String modeName(Mode m) {
        return switch (m) {
            case HINTS -> "prefetchd-hints";
            case NO_HINTS -> "prefetchd-nohints";
            case LRU -> "prefetchd-lru";
            case S3_HINTS -> "prefetchd-s3-hints";
        };
    }

    /** What the daemon's {@code serve} command accepts in this build; asked once per run. */
    record DaemonFlags(boolean planner, boolean dataset) {
        static DaemonFlags probe(DaemonLauncher launcher) throws IOException, InterruptedException {
            String help = launcher.help();
            return new DaemonFlags(help.contains("--planner"), help.contains("--dataset"));
        }
    }

    /** How to start the daemon's JVM; {@code javaOptions} go after the harness's own (a profiler, a JIT flag). */
    record DaemonLauncher(String java, String classpath, String heap, @Nullable Integer grain,
                          List<String> javaOptions) {
        DaemonLauncher {
            javaOptions = List.copyOf(javaOptions);
        }

        DaemonLauncher(String java, String classpath, String heap, @Nullable Integer grain) {
            this(java, classpath, heap, grain, List.of());
        }

        List<String> command(List<String> args) {
            List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + heap, "-XX:+UseSerialGC",
                    "--add-opens=java.base/java.nio=ALL-UNNAMED"));
            cmd.addAll(javaOptions);
            cmd.addAll(List.of("-cp", classpath, "io.prefetchd.gateway.daemon.Main"));
            cmd.addAll(args);
            return cmd;
        }

        String help() throws IOException, InterruptedException {
            Process p = new ProcessBuilder(command(List.of("serve", "--help"))).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            p.waitFor(60, TimeUnit.SECONDS);
            return new String(out, StandardCharsets.UTF_8);
        }
    }

    static PrefetchdContender start(Mode mode, Dataset dataset, S3Emulator s3, long cacheBytes, Path work,
                                    DaemonLauncher launcher, DaemonFlags flags) throws Unavailable {
        List<String> notes = new ArrayList<>();
        List<String> args = new ArrayList<>(List.of("serve", "--s3-endpoint", s3.endpoint().toString(),
                "--bucket", s3.bucket(), "--path-style", "--region", "us-east-1",
                "--state-dir", work.resolve("state").toString(), "--cache-size", Long.toString(cacheBytes),
                "--nfs-port", "0", "--http-port", "-1", "--grpc-port", "0", "--bind", "127.0.0.1"));
        if (mode == Mode.S3_HINTS) {
            args.addAll(List.of("--s3-api-port", "0"));
        }
        if (flags.planner()) {
            args.addAll(List.of("--planner", mode == Mode.LRU ? "off" : "on"));
        } else {
            notes.add("planner settings not available in this build (serve has no --planner): runs as plain LRU");
        }
        // every mode gets the dataset: with the planner off the cache still cuts blocks at sample bounds, so the
        // LRU row differs from the others only by the planner
        if (flags.dataset()) {
            args.addAll(List.of("--dataset", dataset.layout() + ":" + dataset.folder()));
        } else {
            notes.add("dataset configuration not available in this build (serve has no --dataset)");
        }
        Daemon d = Daemon.start(launcher, args, work, mode == Mode.S3_HINTS);
        if (mode == Mode.S3_HINTS && d.s3Port() < 0) {
            d.process().destroyForcibly();
            throw new Unavailable("this daemon has no S3 endpoint (--s3-api-port)");
        }
        return new PrefetchdContender(mode, dataset, d, s3.bucket(), notes);
    }

    /** A started daemon: its process, log and the ports it printed ({@code s3Port} -1 without an S3 endpoint). */
    record Daemon(Process process, Path log, int nfsPort, int grpcPort, int httpPort, int s3Port) {
        /**
         * Starts {@code Main args} with the emulator's keys (and the S3 endpoint's) and waits, 90 s at most, until it
         * prints its ports: the S3 endpoint's too when {@code s3Api}.
         */
        static Daemon start(DaemonLauncher launcher, List<String> args, Path work, boolean s3Api) throws Unavailable {
            Path log = work.resolve("daemon.log");
            Process p;
            try {
                Files.createDirectories(work);
                ProcessBuilder pb = new ProcessBuilder(launcher.command(args)).redirectErrorStream(true)
                        .redirectOutput(log.toFile());
                pb.environment().put("PREFETCHD_S3_ACCESS_KEY", S3Emulator.ACCESS_KEY);
                pb.environment().put("PREFETCHD_S3_SECRET_KEY", S3Emulator.SECRET_KEY);
                pb.environment().put("PREFETCHD_LOG_LEVEL", "WARN");
                pb.environment().put("PREFETCHD_S3_API_ACCESS_KEY", S3_API_ACCESS_KEY);
                pb.environment().put("PREFETCHD_S3_API_SECRET_KEY", S3_API_SECRET_KEY);
                if (launcher.grain() != null) {
                    pb.environment().put("PREFETCHD_CACHE_GRAIN", Integer.toString(launcher.grain()));
                }
                p = pb.start();
            } catch (IOException e) {
                throw new Unavailable("cannot start the daemon: " + e.getMessage(), e);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            try {
                while (true) {
                    String text = Files.exists(log) ? Files.readString(log) : "";
                    Matcher nfs = NFS_PORT.matcher(text);
                    Matcher grpc = GRPC_PORT.matcher(text);
                    Matcher http = HTTP_PORT.matcher(text);
                    Matcher s3 = S3_PORT.matcher(text);
                    boolean printed = text.contains("Press Ctrl-C");
                    if (nfs.find() && http.find() && (grpc.find() || printed) && (!s3Api || s3.find() || printed)) {
                        int g = grpc.find(0) ? Integer.parseInt(grpc.group(1)) : -1;
                        int s3p = s3.find(0) ? Integer.parseInt(s3.group(1)) : -1;
                        return new Daemon(p, log, Integer.parseInt(nfs.group(1)), g, Integer.parseInt(http.group(1)),
                                s3p);
                    }
                    if (!p.isAlive()) {
                        throw new Unavailable("daemon exited with " + p.exitValue() + ": " + lastLines(text, 5));
                    }
                    if (System.nanoTime() > deadline) {
                        p.destroyForcibly();
                        throw new Unavailable("daemon did not start within 90 s: " + lastLines(text, 5));
                    }
                    Thread.sleep(100);
                }
            } catch (IOException e) {
                p.destroyForcibly();
                throw new Unavailable("cannot read the daemon's log: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new Unavailable("interrupted");
            }
        }

        /** SIGTERM (the daemon's shutdown hook closes the cache), then kill after 20 s. */
        void stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static String lastLines(String text, int n) {
        String[] lines = text.strip().split("\n");
        return String.join(" | ", java.util.Arrays.copyOfRange(lines, Math.max(0, lines.length - n), lines.length));
    }

    @Override
    public String name() {
        return modeName(mode);
    }

    @Override
    public String client() {
        if (mode == Mode.S3_HINTS) {
            return "AWS SDK v2 S3AsyncClient (Netty), one ranged GET per sample, to the daemon's S3 endpoint on "
                    + "127.0.0.1:" + daemon.s3Port();
        }
        return "prefetchd's Java NFSv4.1 client (Nfs4Client), one TCP connection per reader, to the daemon on "
                + "127.0.0.1:" + daemon.nfsPort();
    }

    @Override
    public List<String> notes() {
        return List.copyOf(notes);
    }

    /** Adds a note to print and record with this contender's results. */
    void note(String note) {
        notes.add(note);
    }

    int httpPort() {
        return daemon.httpPort();
    }

    Path log() {
        return daemon.log();
    }

    private static final Pattern COUNTER = Pattern.compile(
            "^(prefetchd_(?:cache|s3|prefetch|planner)[a-z0-9_]*) ([0-9.eE+-]+)$", Pattern.MULTILINE);
    private final java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();

    @Override
    public java.util.OptionalLong processId() {
        return java.util.OptionalLong.of(daemon.process().pid());
    }

    @Override
    public Map<String, Double> counters() {
        try {
            String text = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
                            + daemon.httpPort() + "/metrics")).timeout(java.time.Duration.ofSeconds(10)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            Map<String, Double> m = new java.util.TreeMap<>();
            Matcher x = COUNTER.matcher(text);
            while (x.find()) {
                m.put(x.group(1), Double.parseDouble(x.group(2)));
            }
            return m;
        } catch (IOException e) {
            return Map.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Map.of();
        }
    }

    /**
     * Before epoch 0 every mode waits for the daemon's index of the dataset (RegisterDataset, which returns when the
     * index is built): building it streams every shard once, a one-time cost that is not an epoch's. Only
     * {@code HINTS} then publishes each epoch's order.
     */
    @Override
    public void beforeEpoch(int epoch, int[] order) throws Exception {
        if (daemon.grpcPort() < 0) {
            if (epoch == 0 && (mode == Mode.HINTS || mode == Mode.S3_HINTS)) {
                notes.add("hint API not served by this daemon: no hints published");
            }
            return;
        }
        if (hints == null) {
            hints = new HintClient(daemon.grpcPort(), notes);
            long started = System.nanoTime();
            hints.register(dataset);
            notes.add(String.format(java.util.Locale.ROOT, "waited %.1f s for the daemon's index of the dataset "
                    + "before epoch 0 (built once and persisted; it streams every shard)",
                    (System.nanoTime() - started) / 1e9));
        }
        if (mode == Mode.HINTS || mode == Mode.S3_HINTS) {
            hints.publish("bench", epoch, 0, 1, order);
        }
    }

    /** The job name under which {@link #warmUp} publishes its orders. */
    private static final String WARM_UP_JOB = "bench-warm-up";

    /**
     * Reads {@code warm}, a dataset of its own under another folder, through this daemon before the measured epochs,
     * unmeasured, so that the daemon's JIT has compiled its read path and S3 client as in a gateway that has been
     * running for a while; the measured dataset stays uncached. In every mode each warm-up epoch's order is published
     * before it and ended after it, so that afterwards the warm-up dataset needs no share of the cache and its
     * blocks are the first to go.
     *
     * @return one result per warm-up epoch (bytes checked as in a measured epoch)
     */
    List<EpochResult> warmUp(Dataset warm, Workload workload, int epochs,
                             java.util.function.Supplier<S3Emulator.Counters> s3) throws Exception {
        if (daemon.grpcPort() < 0) {
            throw new IllegalStateException("the warm-up publishes its orders, and this daemon has no hint API");
        }
        try (HintClient h = new HintClient(daemon.grpcPort(), notes)) {
            h.register(warm);
            PrefetchdContender self = this;
            Contender reading = new Contender() {
                @Override
                public String name() {
                    return self.name() + " warm-up";
                }

                @Override
                public String client() {
                    return self.client();
                }

                @Override
                public void beforeEpoch(int epoch, int[] order) throws Exception {
                    if (epoch > 0) {
                        h.endEpoch(WARM_UP_JOB, epoch - 1);
                    }
                    h.publish(WARM_UP_JOB, epoch, 0, 1, order);
                }

                @Override
                public SampleReader newReader(boolean keepOpen) {
                    return self.newReader(keepOpen);
                }

                @Override
                public void close() {
                }
            };
            List<EpochResult> out = workload.run(reading, epochs, s3, 0).epochs();
            h.endEpoch(WARM_UP_JOB, epochs - 1);
            return out;
        }
    }

    /** One ranged GET per sample through the daemon's S3 endpoint (the direct-GET reader, another endpoint). */
    private synchronized SampleReader s3Reader() {
        if (s3Client == null) {
            s3Client = S3AsyncClient.builder().endpointOverride(java.net.URI.create("http://127.0.0.1:" + daemon.s3Port()))
                    .forcePathStyle(true).region(Region.US_EAST_1)
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(
                            S3_API_ACCESS_KEY, S3_API_SECRET_KEY)))
                    .httpClientBuilder(NettyNioAsyncHttpClient.builder().maxConcurrency(64)
                            .connectionAcquisitionTimeout(java.time.Duration.ofMinutes(2)))
                    .build();
        }
        S3AsyncClient c = s3Client;
        return s -> c.getObject(r -> r.bucket(bucketName).key(s.key())
                        .range("bytes=" + s.offset() + "-" + (s.offset() + s.length() - 1)),
                AsyncResponseTransformer.toBytes()).join().asByteArray();
    }

    @Override
    public SampleReader newReader(boolean keepOpen) {
        if (mode == Mode.S3_HINTS) {
            return s3Reader();
        }
        return NfsSampleReader.connect(daemon.nfsPort(), keepOpen);
    }

    @Override
    public void close() throws Exception {
        if (s3Client != null) {
            s3Client.close();
        }
        if (hints != null) {
            hints.close();
        }
        daemon.stop();
    }
}
