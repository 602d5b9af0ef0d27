package io.prefetchd.gateway.daemon;

import io.micronaut.context.ApplicationContext;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.formats.RangeSource;
import io.prefetchd.formats.cli.IndexCommand;
import io.prefetchd.planner.units.Sizes;
import io.prefetchd.planner.sim.SimulateCommand;
import io.prefetchd.tracer.cli.TraceCommand;
import io.prefetchd.gateway.embedded.DemoDataset;
import io.prefetchd.gateway.index.ObjectStoreRangeSource;
import io.prefetchd.gateway.embedded.EmbeddedS3;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;

/**
 * The {@code prefetchd} command line. Every failure to start ends with one line on stderr and exit status 1; a
 * wrong option ends with the usage and exit status 2.
 */
@Command(name = "prefetchd", mixinStandardHelpOptions = true, version = "prefetchd 0.1.0",
        description = "An NFSv4.1 gateway over an S3 bucket that keeps the hot working set on local disk.",
        subcommands = {Main.Serve.class, Main.Demo.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Main.class);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (serve or demo)");
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line; returns the exit status (0 ok, 1 failed to start, 2 bad usage). */
    static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.addSubcommand("index", new IndexCommand(Main::s3Source, Clock.systemUTC()));
        cl.addSubcommand("trace", new TraceCommand());
        cl.addSubcommand("simulate", new SimulateCommand());
        cl.addSubcommand("report", new io.prefetchd.gateway.reports.ReportCommand());
        cl.addSubcommand("uploads", new UploadsCommand());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("prefetchd: " + oneLine(e));
            return 1;
        });
        return cl.execute(args);
    }

    /**
     * The S3 side of {@code prefetchd index s3://bucket/prefix}: endpoint, region, path style and credentials
     * from the same environment variables as {@code serve} (PREFETCHD_S3_ENDPOINT, PREFETCHD_S3_REGION,
     * PREFETCHD_S3_PATH_STYLE, PREFETCHD_S3_ACCESS_KEY/SECRET_KEY, else the AWS default chain).
     */
    static RangeSource s3Source(URI uri) {
        Map<String, String> env = System.getenv();
        GatewayConfig.S3 s3 = new GatewayConfig.S3();
        s3.setEndpoint(env.getOrDefault("PREFETCHD_S3_ENDPOINT", ""));
        s3.setRegion(env.getOrDefault("PREFETCHD_S3_REGION", ""));
        s3.setPathStyle(Boolean.parseBoolean(env.getOrDefault("PREFETCHD_S3_PATH_STYLE", "false")));
        s3.setAccessKey(env.getOrDefault("PREFETCHD_S3_ACCESS_KEY", ""));
        s3.setSecretKey(env.getOrDefault("PREFETCHD_S3_SECRET_KEY", ""));
        s3.setBucket(uri.getHost());
        return new ObjectStoreRangeSource(GatewayAssembly.openStore(s3, new SimpleMeterRegistry()));
    }

    static String oneLine(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof StartupException) {
                return String.valueOf(t.getMessage());   // always given: its constructors take one
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return StartupException.rootMessage(e);
    }

    /** A switch flag's value. */
    enum OnOff { on, off }

    /** Options shared by serve and demo. */
    static class Common {
        @Option(names = "--nfs-port", description = "NFS TCP port (serve: 2049, demo: 20490).")
        Integer nfsPort;

        @Option(names = "--http-port", description = "HTTP port for /metrics and /status (default 8049).")
        Integer httpPort;

        @Option(names = "--grpc-port", description = "gRPC port of the epoch-order hint API (default 50051, 0 = any).")
        Integer grpcPort;

        @Option(names = "--bind", description = "Address every listener (NFS, gRPC hints, HTTP) binds unless its own "
                + "option says otherwise (serve: 0.0.0.0, the address NFS clients and training nodes reach; demo: "
                + "127.0.0.1).")
        String bind;

        @Option(names = "--nfs-bind", description = "Address of the NFS listener (default: --bind).")
        String nfsBind;

        @Option(names = "--grpc-bind", description = "Address of the gRPC hint API (default: --bind).")
        String grpcBind;

        @Option(names = "--http-bind", description = "Address of the HTTP listener: /metrics, /status, reports "
                + "(default: --bind).")
        String httpBind;

        @Option(names = "--state-dir", description = "State folder: cache, file handles (default ./prefetchd-state).")
        Path stateDir;

        @Option(names = "--cache-dir", description = "Cache folder (default <state-dir>/cache), ideally on NVMe.")
        Path cacheDir;

        @Option(names = "--cache-size", description = "Cache capacity, e.g. 100GiB (default 10GiB).")
        String cacheSize;

        @Option(names = "--config", description = "A YAML or properties file with prefetchd.* settings.")
        Path config;

        @Option(names = "--dataset", paramLabel = "FORMAT:PATH", converter = DatasetOption.class,
                description = "A dataset to index at start-up (repeatable): FORMAT is webdataset, files, imagefolder "
                        + "or parquet, PATH its folder inside the export, e.g. imagefolder:imagefolder/train.")
        List<String> datasets = List.of();
        @Option(names = "--export", paramLabel = "RULE",
                description = "An export rule (repeatable, first match wins): 'RANGE [ro|rw] [root-squash|all-squash|"
                        + "no-squash] [anon-uid=N] [anon-gid=N]', e.g. '10.0.0.0/8 ro'. Default: '* rw root-squash' "
                        + "(writes still need --read-write).")
        List<String> exports = List.of();

        @Option(names = "--s3-api-port", description = "Serve the export as an S3 bucket on this TCP port too (off "
                + "unless set, 0 = any; demo: 20491). Keys: prefetchd.s3-api.access-key/secret-key.")
        Integer s3ApiPort;

        @Option(names = "--s3-api-bind", description = "Address of the S3 endpoint (default: --bind).")
        String s3ApiBind;

        @Option(names = "--planner", paramLabel = "on|off",
                description = "Prefetch planner (default on); off makes the cache a plain LRU cache of what was read.")
        OnOff planner;

        @Option(names = "--fleet-members", paramLabel = "HOST:PORT,...", split = ",",
                description = "Join a fleet of gateways over these members' fleet ports (this one may be listed): "
                        + "their caches add up and each block has one owner (off unless set).")
        List<String> fleetMembers = List.of();

        @Option(names = "--fleet-name", description = "The fleet's name (default prefetchd): members of other names "
                + "are not joined.")
        String fleetName;

        @Option(names = "--fleet-port", description = "TCP port of this member's fleet membership (default 5701).")
        Integer fleetPort;

        void into(Map<String, Object> p) {
            put(p, "prefetchd.nfs.port", nfsPort);
            put(p, "micronaut.server.port", httpPort);
            put(p, "prefetchd.grpc.port", grpcPort);
            put(p, "prefetchd.bind", bind);
            put(p, "prefetchd.nfs.bind", nfsBind);
            put(p, "prefetchd.grpc.bind", grpcBind);
            put(p, "micronaut.server.host", httpBind);
            put(p, "prefetchd.s3-api.port", s3ApiPort);
            put(p, "prefetchd.s3-api.bind", s3ApiBind);
            put(p, "prefetchd.state-dir", stateDir == null ? null : stateDir.toString());
            put(p, "prefetchd.cache.dir", cacheDir == null ? null : cacheDir.toString());
            put(p, "prefetchd.cache.size", cacheSize);
            if (planner != null) {
                p.put("prefetchd.planner.enabled", planner == OnOff.on);
            }
            if (!exports.isEmpty()) {
                p.put("prefetchd.access.exports", String.join(",", exports));
            }
            if (!datasets.isEmpty()) {
                p.put("prefetchd.datasets", String.join(",", datasets));
            }
            if (!fleetMembers.isEmpty()) {
                p.put("prefetchd.fleet.members", String.join(",", fleetMembers));
            }
            put(p, "prefetchd.fleet.name", fleetName);
            put(p, "prefetchd.fleet.port", fleetPort);
        }
    }

    /** Checks {@code --dataset FORMAT:PATH} while parsing, so a typo is a usage error. */
    static final class DatasetOption implements CommandLine.ITypeConverter<String> {
        @Override
        public String convert(String value) {
            int colon = value.indexOf(':');
            if (colon < 0 || io.prefetchd.gateway.datasets.DatasetKind.byName(value.substring(0, colon)).isEmpty()) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not FORMAT:PATH with FORMAT one of "
                        + io.prefetchd.gateway.datasets.DatasetKind.NAMES);
            }
            return value;
        }
    }

    static void put(Map<String, Object> p, String key, @Nullable Object value) {
        if (value != null) {
            p.put(key, value);
        }
    }

    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = "Serve an S3 bucket (AWS S3, MinIO, R2, ...) over NFSv4.1. Credentials come from the AWS "
                    + "default provider chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles, instance roles).")
    static final class Serve implements Callable<Integer> {
        @CommandLine.Mixin
        Common common = new Common();

        @Option(names = "--s3-endpoint", description = "S3 endpoint URL (default: AWS S3 of --region).")
        String endpoint;

        @Option(names = "--bucket", description = "Bucket to serve.")
        String bucket;

        @Option(names = "--prefix", description = "Key prefix shown as the export root.")
        String prefix;

        @Option(names = "--path-style", description = "Path-style requests (MinIO, most S3-compatible stores).")
        Boolean pathStyle;

        @Option(names = "--region", description = "Region (default: AWS_REGION or the profile's; us-east-1 with --s3-endpoint).")
        String region;

        @Option(names = "--read-write", description = "Take writes: files created, written, renamed and removed "
                + "through the mount become objects in the bucket (default: read-only, so a stray rm -rf on the "
                + "mount cannot touch the bucket). --export rules can still keep some clients read-only.")
        boolean readWrite;

        @Override
        public Integer call() {
            return runDaemon(properties(), common.config, null, "", false);
        }

        /** The settings the options stand for. */
        Map<String, Object> properties() {
            Map<String, Object> p = new LinkedHashMap<>();
            common.into(p);
            put(p, "prefetchd.s3.endpoint", endpoint);
            put(p, "prefetchd.s3.bucket", bucket);
            put(p, "prefetchd.s3.prefix", prefix);
            put(p, "prefetchd.s3.path-style", pathStyle);
            put(p, "prefetchd.s3.region", region);
            if (readWrite) {
                p.put("prefetchd.write.enabled", true);
            }
            return p;
        }
    }

    @Command(name = "demo", mixinStandardHelpOptions = true,
            description = "Start an embedded S3 server over a local folder, seed it with a small demo dataset and "
                    + "serve it, read-write, its ImageFolder and WebDataset folders indexed for the planner (unless "
                    + "--dataset, PREFETCHD_DATASETS or --config names datasets). Nothing to configure; prints the "
                    + "mount command.")
    static final class Demo implements Callable<Integer> {
        @CommandLine.Mixin
        Common common = new Common();

        @Override
        public Integer call() throws Exception {
            Path stateDir = common.stateDir == null ? Path.of("prefetchd-state") : common.stateDir;
            EmbeddedS3 s3 = EmbeddedS3.start(stateDir.resolve("demo-s3"));
            try {
                DemoDataset.Summary seeded = new DemoDataset().uploadTo(s3.newAsyncClient(), s3.bucket());
                Map<String, Object> p = new LinkedHashMap<>();
                p.put("prefetchd.nfs.port", 20490);
                p.put("prefetchd.bind", "127.0.0.1");   // a demo is for this machine unless --bind says otherwise
                p.put("prefetchd.s3-api.port", 20491);
                p.put("prefetchd.s3-api.access-key", "prefetchd-demo");
                p.put("prefetchd.s3-api.secret-key", demoSecret());
                p.put("prefetchd.write.enabled", true);  // a demo takes writes: try a checkpoint through the mount
                common.into(p);
                // the demo's own datasets, unless the command line, the environment or a config file names some
                List<String> datasets = !common.datasets.isEmpty() ? common.datasets
                        : System.getenv("PREFETCHD_DATASETS") == null && common.config == null ? DemoDataset.DATASETS
                        : List.of();
                if (!datasets.isEmpty()) {
                    p.put("prefetchd.datasets", String.join(",", datasets));
                }
                p.put("prefetchd.state-dir", stateDir.toString());
                p.put("prefetchd.s3.endpoint", s3.endpoint().toString());
                p.put("prefetchd.s3.bucket", s3.bucket());
                p.put("prefetchd.s3.path-style", true);
                p.put("prefetchd.s3.access-key", s3.accessKey());
                p.put("prefetchd.s3.secret-key", s3.secretKey());
                String note = "embedded S3 at " + s3.endpoint() + " over " + s3.dataDir().toAbsolutePath()
                        + " (demo dataset: " + seeded.objects() + " objects, "
                        + Sizes.format(seeded.bytes()) + (datasets.isEmpty() ? "" : "; indexed: " + datasets.stream()
                        .map(d -> d.substring(d.indexOf(':') + 1)).collect(java.util.stream.Collectors.joining(", ")))
                        + ")";
                return runDaemon(p, common.config, s3, note, true);
            } catch (RuntimeException e) {
                s3.close();
                throw e;
            }
        }
    }

    /** A fresh secret for the demo's S3 endpoint, printed at start. */
    static String demoSecret() {
        byte[] b = new byte[18];
        new java.security.SecureRandom().nextBytes(b);
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** @param demo whether this is {@code demo}, whose S3 endpoint keys are made up and printed */
    private static int runDaemon(Map<String, Object> props, Path config, @Nullable AutoCloseable alsoClose, String note,
                                 boolean demo) {
        ApplicationContext ctx = Daemon.start(props, config);
        Gateway gw = ctx.getBean(Gateway.class);
        int httpPort = Daemon.httpPort(ctx);
        CountDownLatch stopped = new CountDownLatch(1);
        long started = System.nanoTime();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("shutting down: closing NFS clients' connections, the cache and S3");
            ctx.close();
            if (alsoClose != null) {
                try {
                    alsoClose.close();
                } catch (Exception e) {
                    // shutting down
                }
            }
            LOG.info("prefetchd {} stopped after {} s", BuildInfo.load().version(),
                    (System.nanoTime() - started) / 1_000_000_000L);
            stopped.countDown();
        }, "prefetchd-shutdown"));
        PrintWriter out = new PrintWriter(System.out, true);
        GatewayConfig settings = ctx.getBean(GatewayConfig.class);
        String httpBind = ctx.getProperty("micronaut.server.host", String.class).orElse("0.0.0.0");
        var hints = ctx.findBean(io.prefetchd.gateway.hints.HintServer.class);
        out.println("prefetchd is serving " + gw.export() + (note.isEmpty() ? "" : " from " + note));
        out.println("  listening: NFS " + new Listeners.Listener("", "", settings.getNfs().getBind(), gw.nfsPort())
                .address() + hints.map(h -> ", gRPC hints " + new Listeners.Listener("", "",
                        settings.getGrpc().getBind(), h.port()).address()).orElse(", gRPC hints off")
                + ", HTTP " + new Listeners.Listener("", "", httpBind, httpPort).address());
        String nfsHost = Listeners.reachable(settings.getNfs().getBind());
        String httpHost = Listeners.reachable(httpBind);
        String portOpt = gw.nfsPort() == 2049 ? "" : ",port=" + gw.nfsPort();
        out.println("  mount it:  sudo mkdir -p /mnt/data && sudo mount -t nfs4 -o vers=4.1" + portOpt
                + " " + nfsHost + ":/ /mnt/data");
        if (nfsHost.equals("127.0.0.1")) {
            out.println("  (from another machine use this host's address instead of 127.0.0.1"
                    + (settings.getNfs().getBind().startsWith("127.") ? ", after restarting with --bind 0.0.0.0" : "")
                    + ")");
        }
        out.println("  metrics:   http://" + httpHost + ":" + httpPort + "/metrics    status: http://" + httpHost + ":"
                + httpPort + "/status");
        out.println("  reports:   http://" + httpHost + ":" + httpPort + "/reports    (or bin/prefetchd report --url "
                + "http://" + httpHost + ":" + httpPort + ")");
        ctx.findBean(io.prefetchd.gateway.s3api.S3ApiServer.class).ifPresent(s3 -> {
            String url = "http://" + Listeners.reachable(settings.getS3Api().getBind()) + ":" + s3.port();
            out.println("  s3:        " + url + "  bucket " + s3.bucket() + " (" + s3.access() + ")"
                    + "  access key " + settings.getS3Api().getAccessKey()
                    + (demo ? "  secret " + settings.getS3Api().getSecretKey() : ""));
            if (demo) {
                out.println("             AWS_ACCESS_KEY_ID=" + settings.getS3Api().getAccessKey()
                        + " AWS_SECRET_ACCESS_KEY=" + settings.getS3Api().getSecretKey()
                        + " aws --endpoint-url " + url + " s3 ls s3://" + s3.bucket() + "/");
            }
        });
        hints.ifPresent(h -> out.println("  hints:     grpc " + Listeners.reachable(settings.getGrpc().getBind()) + ":"
                + h.port() + "    (prefetchd_client.HintClient)"));
        out.println("Press Ctrl-C to stop.");
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
