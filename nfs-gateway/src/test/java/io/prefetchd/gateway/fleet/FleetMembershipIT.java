package io.prefetchd.gateway.fleet;

import com.hazelcast.cluster.Member;
import com.hazelcast.partition.Partition;
import com.hazelcast.partition.PartitionService;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.cache.ObjectVersion;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import io.prefetchd.gateway.testing.PassThroughCache;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ownership through real embedded Hazelcast members: only members serving the same bucket are ever asked, and a
 * partition's previous owner is remembered only where the partition now is.
 */
class FleetMembershipIT {
    private final List<Fleet> fleets = new ArrayList<>();
    private final List<FleetMembership> memberships = new ArrayList<>();

    @AfterEach
    void leave() {
        fleets.forEach(Fleet::close);
        memberships.forEach(FleetMembership::close);
    }

    private static int freePort() throws IOException {
        return FleetGateways.freePort();
    }

    @Test
    void grainsOfAMemberServingAnotherBucket_areNeverAskedOfIt() throws Exception {
        int[] ports = {freePort(), freePort(), freePort()};
        List<String> members = List.of("127.0.0.1:" + ports[0], "127.0.0.1:" + ports[1], "127.0.0.1:" + ports[2]);
        String[] buckets = {"train", "train", "other"};
        for (int i = 0; i < 3; i++) {
            fleets.add(Fleet.join(new FleetSettings("membership-it", "127.0.0.1", ports[i], members, 0,
                    Duration.ofSeconds(2), Duration.ofSeconds(3)), new PassThroughCache(new InMemoryObjectStore(
                    buckets[i])), buckets[i], new SimpleMeterRegistry()));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!fleets.stream().allMatch(f -> f.members() == 3 && f.ownedPartitions() > 0)) {
            assertTrue(System.nanoTime() < deadline, "the three members did not form a fleet in time");
            Thread.sleep(20);   // polling the engine's membership, bounded by the deadline
        }
        ObjectVersion object = new ObjectVersion("shard.tar", "etag-1", 256L << 17);   // 256 grains

        Set<Integer> asked = new HashSet<>();
        for (FleetExtentCache.Run r : ((FleetExtentCache) fleets.get(0).cache()).runs(object, 0, (int) object.size())) {
            if (r.owner() != null) {
                asked.add(r.owner().port());
            }
        }

        assertEquals(Set.of(fleets.get(1).peerPort()), asked, "only the other member of bucket 'train' is asked");
        assertFalse(asked.contains(fleets.get(2).peerPort()));
        String status = fleets.get(0).status();
        assertTrue(status.startsWith("membership-it: 3 members (3 listed), owns "), status);
        assertTrue(status.endsWith(", no token (the peer port serves anyone who reaches it)"), status);
    }

    @Test
    void aMove_isRememberedOnlyByTheMemberItMovedTo() throws Exception {
        int[] ports = {freePort(), freePort(), freePort()};
        List<String> members = List.of("127.0.0.1:" + ports[0], "127.0.0.1:" + ports[1], "127.0.0.1:" + ports[2]);
        List<PreviousOwners> previous = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            previous.add(new PreviousOwners(Duration.ofHours(1), Clock.systemUTC()));
            if (i == 2) {   // the third joins a fleet of two that owns every partition: moves to it and among them
                awaitSettled(2);
            }
            memberships.add(FleetMembership.join(new FleetSettings("moves-it", "127.0.0.1", ports[i], members, 0,
                    Duration.ofSeconds(2), Duration.ofSeconds(3)), 1000 + i, "train", 1L << 30, id -> { },
                    previous.get(i)));
        }
        awaitSettled(3);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!previous.get(2).anyRecent()) {
            assertTrue(System.nanoTime() < deadline, "the member that joined heard of no move to it");
            Thread.sleep(20);   // polling the engine's event delivery, bounded by the deadline
        }

        int remembered = 0;
        for (int m = 0; m < 3; m++) {
            PartitionService partitions = memberships.get(m).hazelcast().getPartitionService();
            for (Partition p : partitions.getPartitions()) {
                if (previous.get(m).from(p.getPartitionId()) != null) {
                    remembered++;
                    Member owner = p.getOwner();
                    assertTrue(owner != null && owner.localMember(), "member " + m + " remembers a previous owner "
                            + "of partition " + p.getPartitionId() + ", which is not its own");
                }
            }
        }
        assertTrue(remembered > 0, "no member remembers a move");
    }

    @Test
    void membersWithAnotherToken_doNotJoin_membersWithTheSameTokenDo() throws Exception {
        int[] ports = {freePort(), freePort(), freePort()};
        List<String> members = List.of("127.0.0.1:" + ports[0], "127.0.0.1:" + ports[1], "127.0.0.1:" + ports[2]);
        String[] tokens = {"fleet-token-aaaaaaaa", "fleet-token-bbbbbbbb", "fleet-token-aaaaaaaa"};
        for (int i = 0; i < 3; i++) {
            memberships.add(FleetMembership.join(new FleetSettings("token-it", "127.0.0.1", ports[i], members, 0,
                    Duration.ofSeconds(2), Duration.ofSeconds(3)).withToken(tokens[i]), 1000 + i, "train", 1L << 30,
                    id -> { }, new PreviousOwners(Duration.ZERO, Clock.systemUTC())));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (memberships.get(0).size() != 2 || memberships.get(2).size() != 2) {
            assertTrue(System.nanoTime() < deadline, "the two members with the same token did not join");
            Thread.sleep(20);   // polling the engine's membership, bounded by the deadline
        }

        assertEquals(1, memberships.get(1).size(), "the member with another token stays alone");
        for (Member m : memberships.get(0).hazelcast().getCluster().getMembers()) {
            assertTrue(m.getAddress().getPort() != ports[1], "the member with another token is in the fleet");
        }
    }

    private void awaitSettled(int size) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!memberships.stream().allMatch(m -> m.size() == size && m.ownedPartitions() > 0
                && m.hazelcast().getPartitionService().isClusterSafe())) {
            assertTrue(System.nanoTime() < deadline, size + " members did not settle in time");
            Thread.sleep(20);   // polling the engine's membership and migrations, bounded by the deadline
        }
    }
}
