package io.prefetchd.gateway.fleet;

import io.prefetchd.gateway.cache.ObjectVersion;
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
import java.util.Objects;
import java.util.Random;

import static io.prefetchd.gateway.fleet.FleetGateways.awaitTrue;
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
    private FleetGateways gateways;

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
        gateways = new FleetGateways(s3, BUCKET, dir, "handover-it", 3, c -> {
            c.getCache().setSize("64MiB");
            c.getCache().setGrain(GRAIN);
            c.getFleet().setPeerTimeout(Duration.ofSeconds(2));
        });
        gateways.start(0, 2);
        gateways.start(1, 2);
        awaitTrue(() -> gateways.get(0).fleet().members() == 2 && gateways.settled(),
                "two members, each with its share");
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
        readAllThrough(gateways.get(0));
        readAllThrough(gateways.get(1));
        assertTrue(counting.gets() <= blocks(), "at most one GET per block for the first two members, not "
                + counting.gets());
        awaitTrue(() -> gateways.get(0).gateway().cache().stats().blocks() + gateways.get(1).gateway().cache().stats().blocks()
                >= blocks(), "the owners to have every block on disk");
    }

    private void thirdMemberJoins() throws IOException {
        gateways.start(2, 3);   // its port taken now: a port reserved at the start may be gone by now
        awaitTrue(() -> gateways.all().stream().allMatch(m -> m.fleet().members() == 3) && gateways.settled(),
                "the third member to receive its share");
    }

    @Test
    void joiningMember_readsTheGrainsItNowOwns_fromTheirPreviousOwners_notS3() throws IOException {
        twoMembersReadEverything();
        thirdMemberJoins();
        long getsBefore = counting.gets();

        readAllThrough(gateways.get(2));
        readAllThrough(gateways.get(0));
        readAllThrough(gateways.get(1));

        long gets = counting.gets() - getsBefore;
        double handedOver = gateways.get(2).counter("prefetchd.fleet.handover.bytes");
        assertTrue(gets <= blocks() / 50, "reading everything through three members after the join cost " + gets
                + " GETs for " + blocks() + " blocks; " + gateways.get(2).counter("prefetchd.fleet.handover.misses")
                + " hand-over misses");
        assertTrue(handedOver >= 0.15 * blocks() * GRAIN, "the third member took over its share from the others: "
                + handedOver + " bytes handed over of " + blocks() * GRAIN);
        assertTrue(gateways.get(2).gateway().cache().stats().blocks() > 0, "the new owner keeps what it took over");
    }

    @Test
    void killedPreviousOwner_costsGets_notWrongBytes() throws IOException {
        twoMembersReadEverything();
        thirdMemberJoins();
        long getsBefore = counting.gets();

        gateways.get(1).fleet().crash();   // as kill -9: its peer channel is gone at once, the membership finds out later
        readAllThrough(gateways.get(2));
        awaitTrue(() -> gateways.get(0).fleet().members() == 2 && gateways.get(2).fleet().members() == 2,
                "the failure detector to drop the killed member");
        readAllThrough(gateways.get(2));
        readAllThrough(gateways.get(0));

        assertTrue(counting.gets() > getsBefore, "the killed member's blocks were read from S3 again");
        assertTrue(gateways.get(2).counter("prefetchd.fleet.handover.bytes") > 0,
                "the member that is still up handed over what it had");
        assertTrue(Objects.requireNonNull(gateways.get(2).gateway().cache()).stats().blocks() > 0);
    }
}
