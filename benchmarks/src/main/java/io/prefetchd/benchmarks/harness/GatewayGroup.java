package io.prefetchd.benchmarks.harness;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * Gateways started side by side for one setup of the fleet benchmark: each a daemon of its own (a child JVM, as
 * {@link PrefetchdContender} starts one) with an empty cache of the same size, the planner on and the dataset
 * configured, over the one emulated S3; either members of one fleet on loopback or independent of each other.
 */
final class GatewayGroup implements AutoCloseable {
    private final List<PrefetchdContender.Daemon> daemons;
    private final HttpClient http = HttpClient.newHttpClient();

    private GatewayGroup(List<PrefetchdContender.Daemon> daemons) {
        this.daemons = List.copyOf(daemons);
    }

    /**
     * Starts {@code n} daemons at once, in {@code work/gateway-<i>}, each with a cache of {@code cacheBytes}; with
     * {@code fleet} they join one fleet over fleet ports on 127.0.0.1.
     */
    static GatewayGroup start(int n, boolean fleet, Dataset dataset, S3Emulator s3, long cacheBytes, Path work,
                              PrefetchdContender.DaemonLauncher launcher) throws Exception {
        List<String> members = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            members.add("127.0.0.1:" + freePort());
        }
        List<CompletableFuture<PrefetchdContender.Daemon>> starting = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path dir = Files.createDirectories(work.resolve("gateway-" + i));
            List<String> args = new ArrayList<>(List.of("serve", "--s3-endpoint", s3.endpoint().toString(),
                    "--bucket", s3.bucket(), "--path-style", "--region", "us-east-1",
                    "--state-dir", dir.resolve("state").toString(), "--cache-size", Long.toString(cacheBytes),
                    "--nfs-port", "0", "--http-port", "-1", "--grpc-port", "0", "--bind", "127.0.0.1",
                    "--planner", "on", "--dataset", dataset.layout() + ":" + dataset.folder()));
            if (fleet) {
                Path config = dir.resolve("fleet.properties");
                Files.writeString(config, "prefetchd.fleet.bind=127.0.0.1\n");
                args.addAll(List.of("--config", config.toString(), "--fleet-name", "bench-fleet",
                        "--fleet-port", members.get(i).substring(members.get(i).indexOf(':') + 1),
                        "--fleet-members", String.join(",", members)));
            }
            int gateway = i;
            starting.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return startOrRetry(launcher, args, dir, gateway);
                } catch (Contender.Unavailable e) {
                    throw new CompletionException(e);
                }
            }));
        }
        List<PrefetchdContender.Daemon> started = new ArrayList<>();
        Exception failed = null;
        for (CompletableFuture<PrefetchdContender.Daemon> f : starting) {
            try {
                started.add(f.join());
            } catch (CompletionException e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                failed = failed == null ? new IllegalStateException("a gateway did not start: "
                        + cause.getMessage(), cause) : failed;
            }
        }
        GatewayGroup group = new GatewayGroup(started);
        if (failed != null) {
            group.close();
            throw failed;
        }
        return group;
    }

    /**
     * Starts one daemon, and once more when it exits: on two cores shared by the emulator, three starting JVMs and
     * other work, a daemon's first LIST of the bucket can go unanswered for its start-up timeout. A second failure is
     * the run's.
     */
    private static PrefetchdContender.Daemon startOrRetry(PrefetchdContender.DaemonLauncher launcher,
                                                          List<String> args, Path dir, int gateway)
            throws Contender.Unavailable {
        try {
            return PrefetchdContender.Daemon.start(launcher, args, dir, false);
        } catch (Contender.Unavailable e) {
            System.out.println("gateway " + gateway + " did not start (" + e.getMessage() + "); starting it again");
            return PrefetchdContender.Daemon.start(launcher, args, dir, false);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    int size() {
        return daemons.size();
    }

    int nfsPort(int i) {
        return daemons.get(i).nfsPort();
    }

    int grpcPort(int i) {
        return daemons.get(i).grpcPort();
    }

    Path log(int i) {
        return daemons.get(i).log();
    }

    /**
     * The sum of gateway {@code i}'s series of {@code name} in its /metrics whose labels contain {@code labels}
     * (empty: every series); 0 when it has none, NaN when it does not answer.
     */
    double metric(int i, String name, String labels) {
        requireNonNull(labels, "labels is null");
        String text;
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + daemons.get(i).httpPort() + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return Double.NaN;
            }
            text = r.body();
        } catch (IOException e) {
            return Double.NaN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Double.NaN;
        }
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*})? (\\S+)$").matcher(text);
        double sum = 0;
        while (m.find()) {
            if (labels.isEmpty() || (m.group(1) != null && m.group(1).contains(labels))) {
                sum += Double.parseDouble(m.group(2));
            }
        }
        return sum;
    }

    /** The sum over all gateways of {@link #metric}. */
    double sum(String name, String labels) {
        double s = 0;
        for (int i = 0; i < daemons.size(); i++) {
            s += metric(i, name, labels);
        }
        return s;
    }

    /** Stops every daemon (SIGTERM, then kill after 20 s). */
    @Override
    public void close() throws InterruptedException {
        for (PrefetchdContender.Daemon d : daemons) {
            d.process().destroy();
        }
        for (PrefetchdContender.Daemon d : daemons) {
            d.stop();
        }
    }
}
