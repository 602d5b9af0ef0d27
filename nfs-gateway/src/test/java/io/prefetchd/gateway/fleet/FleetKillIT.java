package io.prefetchd.gateway.fleet;

import io.prefetchd.gateway.nfs.client.Nfs4Client;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three gateway daemons as separate processes ({@code bin/prefetchd serve}, the jar this build made), each with its
 * own ports and state folder, in one fleet over one S3Proxy in this JVM. Two NFS clients read the data through
 * members A and B while member C is {@code kill -9}ed: every pass of both readers returns exact bytes, without an
 * error. C, restarted on the same state folder, rejoins (three members again, seen on each member's /metrics), gets
 * its share of the fleet's grains back, and serves exact bytes, to its own client and to its peers.
 */
class FleetKillIT {
    private static final String BUCKET = "fleet-kill";
    private static final int OBJECTS = 6;
    private static final int OBJECT_BYTES = 3 << 20;
    private static final int PASSES = 3;
    private static final Duration DEADLINE = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    private S3ProxyFixture s3;
    private final List<String> keys = new ArrayList<>();
    private final List<String> md5s = new ArrayList<>();
    private final Daemon[] daemons = new Daemon[3];
    private final int[] fleetPorts = new int[3];
    private final int[] nfsPorts = new int[3];
    private final int[] httpPorts = new int[3];

    /** One member's process and where its log goes. */
    private record Daemon(Process process, Path log) {
    }

    @AfterEach
    void stop() throws InterruptedException {
        for (Daemon d : daemons) {
            if (d != null) {
                d.process().destroyForcibly();
                d.process().waitFor(30, TimeUnit.SECONDS);
            }
        }
        if (s3 != null) {
            s3.close();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Starts member {@code i} as {@code prefetchd serve} with the fleet options; settings CLI flags lack in a file. */
    private Daemon start(int i) throws IOException {
        Path state = dir.resolve("member-" + i);
        Files.createDirectories(state);
        Path config = state.resolve("prefetchd.properties");
        Files.writeString(config, String.join("\n",
                "prefetchd.s3.access-key=" + S3ProxyFixture.ACCESS_KEY,
                "prefetchd.s3.secret-key=" + S3ProxyFixture.SECRET_KEY,
                "prefetchd.fleet.bind=127.0.0.1",
                "prefetchd.fleet.failure-timeout=3s",
                "prefetchd.fleet.peer-timeout=2s",
                "prefetchd.grpc.enabled=false",
                ""));
        List<String> members = Arrays.stream(fleetPorts).mapToObj(p -> "127.0.0.1:" + p).toList();
        Path launcher = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().getParent()
                .resolve("bin/prefetchd");
        ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "serve",
                "--s3-endpoint", s3.endpoint().toString(), "--bucket", BUCKET, "--path-style",
                "--bind", "127.0.0.1", "--nfs-port", Integer.toString(nfsPorts[i]),
                "--http-port", Integer.toString(httpPorts[i]), "--state-dir", state.toString(),
                "--cache-size", "64MiB", "--config", config.toString(),
                "--fleet-name", "kill-it", "--fleet-port", Integer.toString(fleetPorts[i]),
                "--fleet-members", String.join(",", members));
        pb.environment().put("PREFETCHD_JAVA_OPTS", "-Xmx384m");
        Path log = state.resolve("daemon-" + System.nanoTime() + ".log");
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        return new Daemon(pb.start(), log);
    }

    /** A gauge or counter of member {@code i}'s /metrics; NaN while it does not answer. */
    private double metric(int i, String name) {
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

    private double members(int i) {
        return metric(i, "prefetchd_fleet_members");
    }

    /** Polls another process's state until it holds, failing with the members' logs after the deadline. */
    private void await(BooleanSupplier condition, String what) throws Exception {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            for (Daemon d : daemons) {
                if (d != null && !d.process().isAlive() && d.process().exitValue() != 137) {
                    throw new AssertionError("a member exited (" + d.process().exitValue() + ") while waiting for "
                            + what + ":\n" + tail(d.log()));
                }
            }
            if (System.nanoTime() > deadline) {
                StringBuilder logs = new StringBuilder();
                for (Daemon d : daemons) {
                    if (d != null) {
                        logs.append("--- ").append(d.log()).append('\n').append(tail(d.log()));
                    }
                }
                throw new AssertionError("timed out waiting for " + what + "\n" + logs);
            }
            Thread.sleep(100);   // polling other processes, bounded by the deadline
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())) + "\n";
        } catch (IOException e) {
            return "(no log: " + e + ")\n";
        }
    }

    private static String md5(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b));
    }

    /** Reads every object through member {@code i}'s NFS port, {@code passes} times; each one's MD5 must match. */
    private void readAll(int i, int passes, AtomicLong progress) throws Exception {
        try (Nfs4Client c = Nfs4Client.connect("127.0.0.1", nfsPorts[i])) {
            for (int pass = 0; pass < passes; pass++) {
                for (int k = 0; k < OBJECTS; k++) {
                    Nfs4Client.OpenFile f = c.open("/" + keys.get(k));
                    byte[] got = c.readAll(f, 256 * 1024);
                    c.closeFile(f);
                    assertEquals(md5s.get(k), md5(got), keys.get(k) + " through member " + i + ", pass " + pass);
                    progress.addAndGet(got.length);
                }
            }
        }
    }

    @Test
    void memberKilledMidRead_readersOnTheOthersGetExactBytes_andTheRestartedMemberRejoinsAndServes()
            throws Exception {
        s3 = S3ProxyFixture.start();
        s3.createBucket(BUCKET);
        Random random = new Random(9);
        for (int k = 0; k < OBJECTS; k++) {
            byte[] b = new byte[OBJECT_BYTES + 4099 * k];
            random.nextBytes(b);
            keys.add("shards/shard-" + k + ".tar");
            md5s.add(md5(b));
            s3.put(BUCKET, keys.get(k), b);
        }
        for (int i = 0; i < 3; i++) {
            fleetPorts[i] = freePort();
            nfsPorts[i] = freePort();
            httpPorts[i] = freePort();
        }
        for (int i = 0; i < 3; i++) {
            daemons[i] = start(i);
        }
        await(() -> members(0) == 3 && members(1) == 3 && members(2) == 3
                && metric(2, "prefetchd_fleet_owned_partitions") > 0, "three members, C with its share");

        AtomicLong progress = new AtomicLong();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> readers = new ArrayList<>();
        for (int i : new int[] {0, 1}) {
            Thread t = new Thread(() -> {
                try {
                    readAll(i, PASSES, progress);
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "reader-" + i);
            t.start();
            readers.add(t);
        }
        await(() -> progress.get() >= 2L * OBJECT_BYTES || !failures.isEmpty(), "the readers to be under way");
        long atKill = progress.get();
        daemons[2].process().destroyForcibly();   // SIGKILL: no hand-over, no goodbye
        assertTrue(daemons[2].process().waitFor(30, TimeUnit.SECONDS), "member C is gone");
        for (Thread t : readers) {
            t.join(DEADLINE.toMillis());
            assertTrue(!t.isAlive(), t.getName() + " finished");
        }
        assertTrue(failures.isEmpty(), "reads through A and B failed: " + failures);
        assertTrue(atKill < progress.get(), "C was killed mid-read: " + atKill + " of " + progress.get()
                + " bytes were read then");
        await(() -> members(0) == 2 && members(1) == 2, "A and B to drop the killed member");
        String fallbacks = "prefetchd_fleet_peer_reads_total\\{outcome=\"fallback\"}";
        assertTrue(metric(0, fallbacks) + metric(1, fallbacks) > 0,
                "reads of the killed member's grains were read from S3 by A and B instead");

        daemons[2] = start(2);   // the same ports and state folder (its cache)
        await(() -> members(0) == 3 && members(1) == 3 && members(2) == 3, "C to rejoin");
        await(() -> metric(2, "prefetchd_fleet_owned_partitions") > 0, "C to get its share back");
        readAll(2, 1, new AtomicLong());
        readAll(0, 1, new AtomicLong());
        assertTrue(metric(2, "prefetchd_fleet_peer_served_reads_total") > 0,
                "the restarted member owns grains again and serves them to its peers");
    }
}
