package io.prefetchd.gateway.fleet;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.cache.ObjectVersion;
import io.prefetchd.gateway.daemon.Gateway;
import io.prefetchd.gateway.daemon.GatewayConfig;
import io.prefetchd.gateway.nfs.client.Nfs4Client;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.gateway.testing.CountingBlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three gateways on loopback, each with its own ports and cache folder, over one S3Proxy that counts the GETs it
 * serves: the fleet's caches add up, every member reads exact bytes, and a member's death costs GETs, not errors.
 */
class FleetIT {
    private static final String BUCKET = "fleet-data";
    private static final int GRAIN = 128 * 1024;
    private static final int OBJECTS = 4;
    private static final int OBJECT_BYTES = 1 << 20;

    @TempDir
    Path dir;

    private CountingBlobStore counting;
    private S3ProxyFixture s3;
    private final List<byte[]> contents = new ArrayList<>();
    private final List<ObjectVersion> objects = new ArrayList<>();
    private final int[] fleetPorts = new int[3];
    private final Member[] members = new Member[3];

    /** One gateway of the fleet and its meters. */
    private record Member(Gateway gateway, MeterRegistry registry) {
        Fleet fleet() {
            return gateway.fleet().orElseThrow();
        }

        double counter(String name, String... tags) {
            var c = registry.find(name).tags(tags).counter();
            return c == null ? 0 : c.count();
        }
    }

    @BeforeEach
    void setUp() throws IOException {
        counting = new CountingBlobStore(new TransientNio2BlobStore());
        s3 = S3ProxyFixture.start(counting);
        s3.createBucket(BUCKET);
        Random random = new Random(42);
        for (int i = 0; i < OBJECTS; i++) {
            byte[] b = new byte[OBJECT_BYTES + 777 * i];
            random.nextBytes(b);
            contents.add(b);
            objects.add(new ObjectVersion("data/part-" + i + ".bin", s3.put(BUCKET, "data/part-" + i + ".bin", b),
                    b.length));
        }
        for (int i = 0; i < 3; i++) {
            fleetPorts[i] = freePort();
        }
        for (int i = 0; i < 3; i++) {
            members[i] = start(i);
        }
        awaitTrue(() -> Arrays.stream(members).allMatch(m -> m.fleet().members() == 3
                && m.fleet().ownedPartitions() > 0), "three members, each with its share");
    }

    @AfterEach
    void tearDown() {
        for (Member m : members) {
            if (m != null) {
                m.gateway().close();
            }
        }
        if (s3 != null) {
            s3.close();
        }
    }

    private Member start(int i) {
        GatewayConfig c = new GatewayConfig();
        c.setStateDir(dir.resolve("member-" + i).toString());
        c.getS3().setEndpoint(s3.endpoint().toString());
        c.getS3().setBucket(BUCKET);
        c.getS3().setPathStyle(true);
        c.getS3().setAccessKey(S3ProxyFixture.ACCESS_KEY);
        c.getS3().setSecretKey(S3ProxyFixture.SECRET_KEY);
        c.getCache().setSize("64MiB");
        c.getCache().setGrain(GRAIN);
        c.getNfs().setBind("127.0.0.1");
        c.getNfs().setPort(0);
        c.getNfs().setWorkers(4);
        c.getFleet().setName("fleet-it");
        c.getFleet().setBind("127.0.0.1");
        c.getFleet().setPort(fleetPorts[i]);
        c.getFleet().setMembers(Arrays.stream(fleetPorts).mapToObj(p -> "127.0.0.1:" + p).toList());
        c.getFleet().setFailureTimeout(Duration.ofSeconds(3));
        c.getFleet().setPeerTimeout(Duration.ofSeconds(2));
        MeterRegistry registry = new SimpleMeterRegistry();
        return new Member(Gateway.start(c, registry, Clock.systemUTC()), registry);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Waits for the membership (an outside engine's state), at most 60 s. */
    private static void awaitTrue(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.onSpinWait();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** Reads every object through {@code m}'s read path in NFS-sized pieces and checks each byte. */
    private void readAllThrough(Member m, int from, int to) {
        for (int i = from; i < to; i++) {
            ObjectVersion o = objects.get(i);
            byte[] got = new byte[(int) o.size()];
            for (int off = 0; off < got.length; off += 256 * 1024) {
                byte[] piece = m.gateway().cache().read(o, off, 256 * 1024);
                System.arraycopy(piece, 0, got, off, piece.length);
            }
            assertArrayEquals(contents.get(i), got, o.key() + " through member " + m);
        }
    }

    private long blocks() {
        return objects.stream().mapToLong(o -> (o.size() + GRAIN - 1) / GRAIN).sum();
    }

    @Test
    void everyMemberReadsExactBytes_andS3SeesEachBlockAboutOncePerFleet() {
        for (Member m : members) {
            readAllThrough(m, 0, OBJECTS);
        }

        long gets = counting.gets();
        assertTrue(gets <= blocks(), "the fleet sent " + gets + " GETs for " + blocks() + " blocks read three times");
        double served = Arrays.stream(members).mapToDouble(m -> m.counter("prefetchd.fleet.peer.served.reads")).sum();
        double asked = Arrays.stream(members).mapToDouble(m -> m.counter("prefetchd.fleet.peer.reads", "outcome", "ok"))
                .sum();
        assertTrue(served > 0 && served == asked, "peer reads asked " + asked + ", served " + served);
        for (Member m : members) {
            assertTrue(m.gateway().cache().stats().blocks() < blocks(),
                    "each member caches its share, not everything: " + m.gateway().cache().stats());
        }
    }

    @Test
    void nfsReadsThroughTwoMembers_returnExactBytes() {
        for (int k = 0; k < 2; k++) {
            try (Nfs4Client c = Nfs4Client.connect("127.0.0.1", members[k].gateway().nfsPort())) {
                for (int i = 0; i < OBJECTS; i++) {
                    Nfs4Client.OpenFile f = c.open("/" + objects.get(i).key());
                    assertArrayEquals(contents.get(i), c.readAll(f, 256 * 1024), objects.get(i).key());
                    c.closeFile(f);
                }
            }
        }
        assertTrue(counting.gets() <= blocks(), "GETs " + counting.gets() + " for " + blocks() + " blocks");
    }

    @Test
    void memberKilledMidRead_othersGoOnWithExactBytes_andItRejoinsWhenRestarted() {
        readAllThrough(members[0], 0, OBJECTS / 2);

        members[2].fleet().crash();   // as kill -9: no hand-over, its peer channel gone at once
        readAllThrough(members[0], 0, OBJECTS);
        readAllThrough(members[1], 0, OBJECTS);
        awaitTrue(() -> members[0].fleet().members() == 2 && members[1].fleet().members() == 2,
                "the failure detector to drop the killed member");
        readAllThrough(members[1], 0, OBJECTS);
        assertTrue(members[0].counter("prefetchd.fleet.peer.reads", "outcome", "fallback")
                + members[1].counter("prefetchd.fleet.peer.reads", "outcome", "fallback") > 0,
                "reads of the killed member's blocks fell back to S3");

        members[2].gateway().close();
        members[2] = start(2);   // same fleet port and cache folder
        awaitTrue(() -> Arrays.stream(members).allMatch(m -> m.fleet().members() == 3), "the member to rejoin");
        awaitTrue(() -> members[2].fleet().ownedPartitions() > 0, "the rejoined member to get its share");
        double servedBefore = members[2].counter("prefetchd.fleet.peer.served.reads");
        readAllThrough(members[2], 0, OBJECTS);
        readAllThrough(members[0], 0, OBJECTS);
        assertTrue(members[2].counter("prefetchd.fleet.peer.served.reads") > servedBefore,
                "the restarted member owns blocks again and serves them");
    }
}
