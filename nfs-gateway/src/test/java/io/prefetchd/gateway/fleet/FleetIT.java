package io.prefetchd.gateway.fleet;

import io.prefetchd.gateway.cache.ObjectVersion;
import io.prefetchd.gateway.nfs.client.Nfs4Client;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.gateway.testing.CountingBlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import io.prefetchd.gateway.fleet.FleetGateways.Member;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.prefetchd.gateway.fleet.FleetGateways.awaitTrue;
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
    private FleetGateways gateways;

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
        gateways = new FleetGateways(s3, BUCKET, dir, "fleet-it", 3, c -> {
            c.getCache().setSize("64MiB");
            c.getCache().setGrain(GRAIN);
            c.getFleet().setPeerTimeout(Duration.ofSeconds(2));
        });
        for (int i = 0; i < 3; i++) {
            gateways.start(i);
        }
        awaitTrue(() -> gateways.all().stream().allMatch(m -> m.fleet().members() == 3
                && m.fleet().ownedPartitions() > 0), "three members, each with its share");
    }

    @AfterEach
    void tearDown() {
        if (gateways != null) {
            gateways.close();
        }
        if (s3 != null) {
            s3.close();
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
        for (Member m : gateways.all()) {
            readAllThrough(m, 0, OBJECTS);
        }

        long gets = counting.gets();
        assertTrue(gets <= blocks(), "the fleet sent " + gets + " GETs for " + blocks() + " blocks read three times");
        double served = gateways.all().stream().mapToDouble(m -> m.counter("prefetchd.fleet.peer.served.reads")).sum();
        double asked = gateways.all().stream().mapToDouble(m -> m.counter("prefetchd.fleet.peer.reads", "outcome", "ok"))
                .sum();
        // every read an asker got is one its owner served; owners serve more on a loaded machine: reads their askers
        // gave up on past the peer timeout, and hand-overs of grains that moved while the partitions settled
        assertTrue(asked > 0 && served >= asked, "peer reads asked and answered " + asked + ", served " + served);
        for (Member m : gateways.all()) {
            assertTrue(m.gateway().cache().stats().blocks() < blocks(),
                    "each member caches its share, not everything: " + m.gateway().cache().stats());
        }
    }

    @Test
    void nfsReadsThroughTwoMembers_returnExactBytes() {
        for (int k = 0; k < 2; k++) {
            try (Nfs4Client c = Nfs4Client.connect("127.0.0.1", gateways.get(k).gateway().nfsPort())) {
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
        readAllThrough(gateways.get(0), 0, OBJECTS / 2);

        gateways.get(2).fleet().crash();   // as kill -9: no hand-over, its peer channel gone at once
        readAllThrough(gateways.get(0), 0, OBJECTS);
        readAllThrough(gateways.get(1), 0, OBJECTS);
        awaitTrue(() -> gateways.get(0).fleet().members() == 2 && gateways.get(1).fleet().members() == 2,
                "the failure detector to drop the killed member");
        readAllThrough(gateways.get(1), 0, OBJECTS);
        assertTrue(gateways.get(0).counter("prefetchd.fleet.peer.reads", "outcome", "fallback")
                + gateways.get(1).counter("prefetchd.fleet.peer.reads", "outcome", "fallback") > 0,
                "reads of the killed member's blocks fell back to S3");

        gateways.get(2).gateway().close();
        gateways.start(2);   // same fleet port and cache folder
        awaitTrue(() -> gateways.all().stream().allMatch(m -> m.fleet().members() == 3), "the member to rejoin");
        awaitTrue(gateways::settled, "the rejoined member to get its share, with no migration in flight");
        double servedBefore = gateways.get(2).counter("prefetchd.fleet.peer.served.reads");
        readAllThrough(gateways.get(2), 0, OBJECTS);
        readAllThrough(gateways.get(0), 0, OBJECTS);
        assertTrue(gateways.get(2).counter("prefetchd.fleet.peer.served.reads") > servedBefore,
                "the restarted member owns blocks again and serves them");
    }
}
