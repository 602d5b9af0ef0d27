package io.prefetchd.gateway.fleet;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.cache.ObjectVersion;
import io.prefetchd.gateway.daemon.Gateway;
import io.prefetchd.gateway.daemon.GatewayConfig;
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
import java.util.Objects;
import java.util.Random;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hand-over through real members in one JVM over one S3Proxy that counts GETs: two members read a dataset, a third
 * joins and receives its share of the partitions, and reads of the grains that moved to it come from their previous
 * owners' caches, not from S3; a previous owner that is killed costs GETs, never wrong bytes.
 */
class FleetHandoverIT {
    private static final String BUCKET = "handover-data";
    private static final int GRAIN = 128 * 1024;
    private static final int OBJECTS = 6;
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

        double counter(String name) {
            var c = registry.find(name).counter();
            return c == null ? 0 : c.count();
        }
    }

    @BeforeEach
    void setUp() throws IOException {
        counting = new CountingBlobStore(new TransientNio2BlobStore());
        s3 = S3ProxyFixture.start(counting);
        s3.createBucket(BUCKET);
        Random random = new Random(7);
        for (int i = 0; i < OBJECTS; i++) {
            byte[] b = new byte[OBJECT_BYTES + 999 * i];
            random.nextBytes(b);
            contents.add(b);
            objects.add(new ObjectVersion("data/part-" + i + ".bin", s3.put(BUCKET, "data/part-" + i + ".bin", b),
                    b.length));
        }
        fleetPorts[0] = freePort();
        fleetPorts[1] = freePort();
        members[0] = start(0);
        members[1] = start(1);
        awaitTrue(() -> members[0].fleet().members() == 2 && settled(members[0], members[1]),
                "two members, each with its share");
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
        c.getFleet().setName("handover-it");
        c.getFleet().setBind("127.0.0.1");
        c.getFleet().setPort(fleetPorts[i]);
        c.getFleet().setMembers(Arrays.stream(fleetPorts, 0, Math.max(2, i + 1)).mapToObj(p -> "127.0.0.1:" + p)
                .toList());
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

    /** Every member owns partitions and no migration is in flight. */
    private static boolean settled(Member... ms) {
        return Arrays.stream(ms).allMatch(m -> m.fleet().ownedPartitions() > 0
                && m.fleet().hazelcast().getPartitionService().isClusterSafe());
    }

    /** Waits for the membership (an outside engine's state), at most 60 s. */
    private static void awaitTrue(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** Reads every object through {@code m}'s read path in NFS-sized pieces and checks each byte. */
    private void readAllThrough(Member m) {
        for (int i = 0; i < OBJECTS; i++) {
            ObjectVersion o = objects.get(i);
            byte[] got = new byte[(int) o.size()];
            for (int off = 0; off < got.length; off += 256 * 1024) {
                byte[] piece = m.gateway().cache().read(o, off, 256 * 1024);
                System.arraycopy(piece, 0, got, off, piece.length);
            }
            assertArrayEquals(contents.get(i), got, o.key() + " through " + m.fleet().peerPort());
        }
    }

    private long blocks() {
        return objects.stream().mapToLong(o -> (o.size() + GRAIN - 1) / GRAIN).sum();
    }

    /** The first two members read every block; the fleet holds it all once its owners have written it. */
    private void twoMembersReadEverything() {
        readAllThrough(members[0]);
        readAllThrough(members[1]);
        assertTrue(counting.gets() <= blocks(), "at most one GET per block for the first two members, not "
                + counting.gets());
        awaitTrue(() -> members[0].gateway().cache().stats().blocks() + members[1].gateway().cache().stats().blocks()
                >= blocks(), "the owners to have every block on disk");
    }

    private void thirdMemberJoins() throws IOException {
        fleetPorts[2] = freePort();   // taken now: a port reserved at the start may be gone by now
        members[2] = start(2);
        awaitTrue(() -> Arrays.stream(members).allMatch(m -> m.fleet().members() == 3) && settled(members),
                "the third member to receive its share");
    }

    @Test
    void joiningMember_readsTheGrainsItNowOwns_fromTheirPreviousOwners_notS3() throws IOException {
        twoMembersReadEverything();
        thirdMemberJoins();
        long getsBefore = counting.gets();

        readAllThrough(members[2]);
        readAllThrough(members[0]);
        readAllThrough(members[1]);

        long gets = counting.gets() - getsBefore;
        double handedOver = members[2].counter("prefetchd.fleet.handover.bytes");
        assertTrue(gets <= blocks() / 50, "reading everything through three members after the join cost " + gets
                + " GETs for " + blocks() + " blocks; " + members[2].counter("prefetchd.fleet.handover.misses")
                + " hand-over misses");
        assertTrue(handedOver >= 0.15 * blocks() * GRAIN, "the third member took over its share from the others: "
                + handedOver + " bytes handed over of " + blocks() * GRAIN);
        assertTrue(members[2].gateway().cache().stats().blocks() > 0, "the new owner keeps what it took over");
    }

    @Test
    void killedPreviousOwner_costsGets_notWrongBytes() throws IOException {
        twoMembersReadEverything();
        thirdMemberJoins();
        long getsBefore = counting.gets();

        members[1].fleet().crash();   // as kill -9: its peer channel is gone at once, the membership finds out later
        readAllThrough(members[2]);
        awaitTrue(() -> members[0].fleet().members() == 2 && members[2].fleet().members() == 2,
                "the failure detector to drop the killed member");
        readAllThrough(members[2]);
        readAllThrough(members[0]);

        assertTrue(counting.gets() > getsBefore, "the killed member's blocks were read from S3 again");
        assertTrue(members[2].counter("prefetchd.fleet.handover.bytes") > 0,
                "the member that is still up handed over what it had");
        assertTrue(Objects.requireNonNull(members[2].gateway().cache()).stats().blocks() > 0);
    }
}
