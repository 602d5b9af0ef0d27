package io.prefetchd.gateway.fleet;

import static java.util.Objects.requireNonNull;

import io.prefetchd.gateway.s3.S3ProxyFixture;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * Gateway daemons of one fleet as separate processes ({@code bin/prefetchd serve}, the jar this build made), as in
 * production: each member has its own ports and state folder, all on loopback, over one S3 endpoint. A member can be
 * {@code kill -9}ed and started again on the same ports and state folder.
 */
final class FleetProcesses implements AutoCloseable {
    private static final int KILLED = 137;

    private final Path dir;
    private final URI s3Endpoint;
    private final String bucket;
    private final String fleetName;
    private final String cacheSize;
    private final Map<String, String> settings;
    private final Duration patience;
    private final int[] fleetPorts;
    private final int[] nfsPorts;
    private final int[] httpPorts;
    private final @Nullable Daemon[] daemons;

    /** One member's process and where its log goes. */
    private record Daemon(Process process, Path log) {
    }

    /**
     * @param members how many members the fleet has (all listed in every member's {@code --fleet-members})
     * @param cacheSize each member's {@code --cache-size}
     * @param settings properties every member gets in its config file, besides S3 credentials and the fleet's
     *     loopback bind; a member's own come from {@link #start(int, Map)}
     * @param patience how long {@link #await} waits for another process's state
     */
    FleetProcesses(Path dir, URI s3Endpoint, String bucket, String fleetName, int members, String cacheSize,
                   Map<String, String> settings, Duration patience) throws IOException {
        this.dir = requireNonNull(dir, "dir is null");
        this.s3Endpoint = requireNonNull(s3Endpoint, "s3Endpoint is null");
        this.bucket = requireNonNull(bucket, "bucket is null");
        this.fleetName = requireNonNull(fleetName, "fleetName is null");
        this.cacheSize = requireNonNull(cacheSize, "cacheSize is null");
        this.settings = Map.copyOf(settings);
        this.patience = requireNonNull(patience, "patience is null");
        fleetPorts = new int[members];
        nfsPorts = new int[members];
        httpPorts = new int[members];
        daemons = new Daemon[members];
        for (int i = 0; i < members; i++) {
            fleetPorts[i] = freePort();
            nfsPorts[i] = freePort();
            httpPorts[i] = freePort();
        }
    }

    static int freePort() throws IOException {
        return FleetGateways.freePort();
    }

    int nfsPort(int i) {
        return nfsPorts[i];
    }

    /** Starts member {@code i} with only the common settings. */
    void start(int i) throws IOException {
        start(i, Map.of());
    }

    /**
     * Starts member {@code i} on its ports and state folder, with the common settings and {@code own} (settings the
     * CLI has no flag for go into a config file). The process starts; use {@link #await} for what it must reach.
     */
    void start(int i, Map<String, String> own) throws IOException {
        if (daemons[i] != null && daemons[i].process().isAlive()) {
            throw new IllegalStateException("member " + i + " runs already");
        }
        Path state = Files.createDirectories(dir.resolve("member-" + i));
        Path config = state.resolve("prefetchd.properties");
        List<String> lines = new ArrayList<>(List.of(
                "prefetchd.s3.access-key=" + S3ProxyFixture.ACCESS_KEY,
                "prefetchd.s3.secret-key=" + S3ProxyFixture.SECRET_KEY,
                "prefetchd.fleet.bind=127.0.0.1"));
        settings.forEach((k, v) -> lines.add(k + "=" + v));
        own.forEach((k, v) -> lines.add(k + "=" + v));
        Files.writeString(config, String.join("\n", lines) + "\n");
        List<String> members = Arrays.stream(fleetPorts).mapToObj(p -> "127.0.0.1:" + p).toList();
        Path launcher = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().getParent()
                .resolve("bin/prefetchd");
        ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "serve",
                "--s3-endpoint", s3Endpoint.toString(), "--bucket", bucket, "--path-style",
                "--bind", "127.0.0.1", "--nfs-port", Integer.toString(nfsPorts[i]),
                "--http-port", Integer.toString(httpPorts[i]), "--state-dir", state.toString(),
                "--cache-size", cacheSize, "--config", config.toString(),
                "--fleet-name", fleetName, "--fleet-port", Integer.toString(fleetPorts[i]),
                "--fleet-members", String.join(",", members));
        pb.environment().put("PREFETCHD_JAVA_OPTS", "-Xmx384m");
        Path log = state.resolve("daemon-" + System.nanoTime() + ".log");
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        daemons[i] = new Daemon(pb.start(), log);
    }

    /** Sends member {@code i} SIGKILL (no hand-over, no goodbye) and waits until it is gone. */
    void kill(int i) throws InterruptedException {
        Daemon d = requireNonNull(daemons[i], "member never started");
        d.process().destroyForcibly();
        if (!d.process().waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("member " + i + " outlived SIGKILL for 30 s");
        }
    }

    /** A gauge or counter of member {@code i}'s /metrics (the first series of that name); NaN while it does not answer. */
    double metric(int i, String name) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + httpPorts[i] + "/metrics")).timeout(Duration.ofSeconds(5))
                    .build(), HttpResponse.BodyHandlers.ofString());
            Matcher m = Pattern.compile("(?m)^" + name + "(\\{[^}]*})? (\\S+)$").matcher(r.body());
            return r.statusCode() == 200 && m.find() ? Double.parseDouble(m.group(2)) : Double.NaN;
        } catch (IOException e) {
            return Double.NaN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Double.NaN;
        }
    }

    /** How many members member {@code i} sees in the fleet; NaN while it does not answer. */
    double members(int i) {
        return metric(i, "prefetchd_fleet_members");
    }

    /** Polls the members' state until it holds, failing with their logs after the patience, or when one exited. */
    void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        while (!condition.getAsBoolean()) {
            for (Daemon d : daemons) {
                if (d != null && !d.process().isAlive() && d.process().exitValue() != KILLED) {
                    throw new AssertionError("a member exited (" + d.process().exitValue() + ") while waiting for "
                            + what + ":\n" + tail(d.log()));
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what + "\n" + logs());
            }
            Thread.sleep(100);   // polling other processes, bounded by the deadline
        }
    }

    /** The end of every member's current log, for a failure message. */
    String logs() {
        StringBuilder logs = new StringBuilder();
        for (Daemon d : daemons) {
            if (d != null) {
                logs.append("--- ").append(d.log()).append('\n').append(tail(d.log()));
            }
        }
        return logs.toString();
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())) + "\n";
        } catch (IOException e) {
            return "(no log: " + e + ")\n";
        }
    }

    /** Kills every member still running. */
    @Override
    public void close() throws InterruptedException {
        for (Daemon d : daemons) {
            if (d != null) {
                d.process().destroyForcibly();
                d.process().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }
}
