package io.prefetchd.gateway.fleet;

import io.prefetchd.gateway.nfs.client.Nfs4Client;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

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
    private FleetProcesses fleet;
    private final List<String> keys = new ArrayList<>();
    private final List<String> md5s = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        if (fleet != null) {
            fleet.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    private double metric(int i, String name) {
        return fleet.metric(i, name);
    }

    private double members(int i) {
        return fleet.members(i);
    }

    private static String md5(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b));
    }

    /** Reads every object through member {@code i}'s NFS port, {@code passes} times; each one's MD5 must match. */
    private void readAll(int i, int passes, AtomicLong progress) throws Exception {
        try (Nfs4Client c = Nfs4Client.connect("127.0.0.1", fleet.nfsPort(i))) {
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
        fleet = new FleetProcesses(dir, s3.endpoint(), BUCKET, "kill-it", 3, "64MiB", Map.of(
                "prefetchd.fleet.failure-timeout", "3s",
                "prefetchd.fleet.peer-timeout", "2s",
                "prefetchd.grpc.enabled", "false"), DEADLINE);
        for (int i = 0; i < 3; i++) {
            fleet.start(i);
        }
        fleet.await(() -> members(0) == 3 && members(1) == 3 && members(2) == 3
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
        fleet.await(() -> progress.get() >= 2L * OBJECT_BYTES || !failures.isEmpty(), "the readers to be under way");
        long atKill = progress.get();
        fleet.kill(2);
        for (Thread t : readers) {
            t.join(DEADLINE.toMillis());
            assertTrue(!t.isAlive(), t.getName() + " finished");
        }
        assertTrue(failures.isEmpty(), "reads through A and B failed: " + failures);
        assertTrue(atKill < progress.get(), "C was killed mid-read: " + atKill + " of " + progress.get()
                + " bytes were read then");
        fleet.await(() -> members(0) == 2 && members(1) == 2, "A and B to drop the killed member");
        String fallbacks = "prefetchd_fleet_peer_reads_total\\{outcome=\"fallback\"}";
        assertTrue(metric(0, fallbacks) + metric(1, fallbacks) > 0,
                "reads of the killed member's grains were read from S3 by A and B instead");

        fleet.start(2);   // the same ports and state folder (its cache)
        fleet.await(() -> members(0) == 3 && members(1) == 3 && members(2) == 3, "C to rejoin");
        fleet.await(() -> metric(2, "prefetchd_fleet_owned_partitions") > 0, "C to get its share back");
        readAll(2, 1, new AtomicLong());
        readAll(0, 1, new AtomicLong());
        assertTrue(metric(2, "prefetchd_fleet_peer_served_reads_total") > 0,
                "the restarted member owns grains again and serves them to its peers");
    }
}
