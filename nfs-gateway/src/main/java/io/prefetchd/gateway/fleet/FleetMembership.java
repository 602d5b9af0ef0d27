package io.prefetchd.gateway.fleet;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.ListenerConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.partition.MigrationListener;
import com.hazelcast.partition.MigrationState;
import com.hazelcast.partition.PartitionService;
import com.hazelcast.partition.ReplicaMigrationEvent;
import io.prefetchd.gateway.cache.ObjectVersion;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import static java.util.Objects.requireNonNull;

/**
 * This gateway's embedded Hazelcast member: membership, failure detection and the partition table that names each
 * grain's owner. Nothing here is home-made: members join over TCP to a static list (no multicast, no cloud
 * auto-detection, no phone-home), Hazelcast's heartbeats drop a silent member after the failure timeout, and its
 * partition service assigns and migrates the 271 partitions as members come and go.
 *
 * <p>Each member publishes its peer data channel's port as a member attribute; its host is the address the
 * membership reached it at. A migration listener, registered before the member joins, records the member each
 * partition moved away from ({@link PreviousOwners}), whom a new owner asks for the partition's grains before S3.
 *
 * <p>Thread-safe: Hazelcast's services are; the peer table is concurrent.
 */
final class FleetMembership implements Ownership, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FleetMembership.class);
    /** The member attribute holding the member's peer data channel port. */
    static final String PEER_PORT = "prefetchd.peer-port";
    /** The member attribute naming the bucket the member serves: members of other buckets are never asked. */
    static final String BUCKET = "prefetchd.bucket";

    private final HazelcastInstance hazelcast;
    private final PartitionService partitions;
    /** Peers by member id, built once per member from its attributes; empty for a member never to be asked. */
    private final ConcurrentMap<String, Optional<Peer>> peers = new ConcurrentHashMap<>();
    private final String bucket;
    private final PreviousOwners previous;

    private FleetMembership(HazelcastInstance hazelcast, String bucket, PreviousOwners previous) {
        this.hazelcast = hazelcast;
        this.bucket = bucket;
        this.previous = previous;
        this.partitions = hazelcast.getPartitionService();
    }

    /**
     * Starts this gateway's member and joins the fleet (or forms it when no listed member answers).
     *
     * @param peerPort the port of this gateway's peer data channel, published to the other members
     * @param bucket the bucket this gateway serves, published to the other members
     * @param cacheBytes the capacity of this gateway's own cache, published to the other members
     * @param onLeft told the id of every member that leaves or is dropped
     * @param previous told of every partition's moves (from before this member joins, so that it hears of the
     *     partitions it receives)
     */
    static FleetMembership join(FleetSettings settings, int peerPort, String bucket, long cacheBytes,
                                java.util.function.Consumer<String> onLeft, PreviousOwners previous) {
        requireNonNull(settings, "settings is null");
        requireNonNull(bucket, "bucket is null");
        requireNonNull(onLeft, "onLeft is null");
        requireNonNull(previous, "previous is null");
        Config config = config(settings, peerPort, bucket, cacheBytes);
        config.addListenerConfig(new ListenerConfig(new Moves(previous)));
        HazelcastInstance hz = Hazelcast.newHazelcastInstance(config);
        FleetMembership m = new FleetMembership(hz, bucket, previous);
        hz.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent e) {
                LOG.info("fleet {}: {} joined; {} members", settings.name(), e.getMember().getAddress(),
                        e.getMembers().size());
            }

            @Override
            public void memberRemoved(MembershipEvent e) {
                String id = e.getMember().getUuid().toString();
                m.peers.remove(id);
                previous.left(id);
                onLeft.accept(id);
                LOG.warn("fleet {}: {} left; {} members, its blocks have new owners", settings.name(),
                        e.getMember().getAddress(), e.getMembers().size());
            }
        });
        LOG.info("fleet {}: member {} with {} members (peer data channel on port {})", settings.name(),
                hz.getCluster().getLocalMember().getAddress(), hz.getCluster().getMembers().size(), peerPort);
        return m;
    }

    /** The Hazelcast configuration of a member: TCP join to the static list, quiet, nothing phoned home. */
    static Config config(FleetSettings s, int peerPort, String bucket, long cacheBytes) {
        Config c = new Config();
        c.setClusterName(s.clusterName());
        c.setInstanceName("prefetchd-fleet-" + s.name() + "-" + s.port() + "-" + System.identityHashCode(c));
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.logging.type", "slf4j");
        // no "[address] [cluster name] [version]" on each line: with a token, the cluster name is what admits a member
        c.setProperty("hazelcast.logging.details.enabled", "false");
        c.setProperty("hazelcast.shutdownhook.enabled", "false");   // the daemon leaves the fleet when it stops
        c.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        c.setProperty("hazelcast.max.no.heartbeat.seconds", Long.toString(s.failureTimeout().toSeconds()));
        c.setProperty("hazelcast.wait.seconds.before.join", "1");
        c.setProperty("hazelcast.tcp.join.port.try.count", "1");
        c.getJetConfig().setEnabled(false);
        c.getMemberAttributeConfig().setAttribute(PEER_PORT, Integer.toString(peerPort));
        c.getMemberAttributeConfig().setAttribute(BUCKET, bucket);
        c.getMemberAttributeConfig().setAttribute(FleetCapacity.CACHE_BYTES, Long.toString(cacheBytes));
        NetworkConfig net = c.getNetworkConfig();
        net.setPort(s.port()).setPortAutoIncrement(false);
        if (!s.bind().equals("0.0.0.0") && !s.bind().equals("::")) {
            c.setProperty("hazelcast.socket.bind.any", "false");
            net.getInterfaces().setEnabled(true).addInterface(s.bind());
        }
        JoinConfig join = net.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).setMembers(s.members()).setConnectionTimeoutSeconds(2);
        return c;
    }

    @Override
    public @Nullable Peer remoteOwner(ObjectVersion object, long grain) {
        Member owner;
        try {
            owner = partitions.getPartition(Ownership.partitionKey(object, grain)).getOwner();
        } catch (RuntimeException e) {   // shutting down, or not yet a member: read locally
            return null;
        }
        if (owner == null || owner.localMember()) {
            return null;
        }
        return peers.computeIfAbsent(owner.getUuid().toString(), id -> peerOf(owner)).orElse(null);
    }

    @Override
    public @Nullable Peer previousOwner(String key, String etag, long grain) {
        Member from;
        try {
            var partition = partitions.getPartition(Ownership.partitionKey(key, etag, grain));
            Member owner = partition.getOwner();
            String id = owner != null && owner.localMember() ? previous.from(partition.getPartitionId()) : null;
            from = id == null ? null : member(id);
        } catch (RuntimeException e) {   // shutting down
            return null;
        }
        if (from == null || from.localMember()) {
            return null;
        }
        return peers.computeIfAbsent(from.getUuid().toString(), id -> peerOf(from)).orElse(null);
    }

    @Override
    public boolean anyMovedHere() {
        return previous.anyRecent();
    }

    /** The member of id {@code id} in the fleet now, or null. */
    private @Nullable Member member(String id) {
        for (Member m : hazelcast.getCluster().getMembers()) {
            if (m.getUuid().toString().equals(id)) {
                return m;
            }
        }
        return null;
    }

    /**
     * Records each partition's previous owner as its primary replica moves. Hazelcast's coordinator tells every
     * member's listener of every move; a move whose source is gone (a member that died) has no previous owner to ask.
     */
    private record Moves(PreviousOwners previous) implements MigrationListener {
        @Override
        public void replicaMigrationCompleted(ReplicaMigrationEvent e) {
            if (e.getReplicaIndex() == 0) {   // every member hears of every move; only moves here are kept
                Member source = e.getSource();
                Member destination = e.getDestination();
                boolean here = destination != null && destination.localMember();
                previous.moved(e.getPartitionId(), here && source != null ? source.getUuid().toString() : null);
            }
        }

        @Override
        public void migrationStarted(MigrationState state) {
        }

        @Override
        public void migrationFinished(MigrationState state) {
        }

        @Override
        public void replicaMigrationFailed(ReplicaMigrationEvent e) {
        }
    }

    /**
     * The peer of a member, or empty for one never to be asked: it serves another bucket (a misconfigured fleet:
     * its answers about our objects would be wrong errors) or published no peer port.
     */
    private Optional<Peer> peerOf(Member m) {
        String port = m.getAttribute(PEER_PORT);
        if (!bucket.equals(m.getAttribute(BUCKET)) || port == null) {
            LOG.error("fleet member {} serves bucket {}, not {}: it is never asked for blocks (give fleets of "
                    + "different buckets different names)", m.getAddress(), m.getAttribute(BUCKET), bucket);
            return Optional.empty();
        }
        return Optional.of(new Peer(m.getUuid().toString(), m.getAddress().getHost(), Integer.parseInt(port)));
    }

    /** Members of the fleet now, this one included. */
    int size() {
        return hazelcast.getLifecycleService().isRunning() ? hazelcast.getCluster().getMembers().size() : 0;
    }

    /** Partitions this member owns now (of 271): its share of the fleet's grains. */
    int ownedPartitions() {
        if (!hazelcast.getLifecycleService().isRunning()) {
            return 0;
        }
        int n = 0;
        for (var p : partitions.getPartitions()) {
            Member owner = p.getOwner();
            if (owner != null && owner.localMember()) {
                n++;
            }
        }
        return n;
    }

    /** The engine itself, for the fleet's shared state (hints) and for tests. */
    HazelcastInstance hazelcast() {
        return hazelcast;
    }

    /** Leaves the fleet gracefully: partitions this member owns are handed over before it goes. */
    @Override
    public void close() {
        try {
            hazelcast.shutdown();
        } catch (RuntimeException e) {
            LOG.warn("leaving the fleet: {}", e.toString());
        }
    }
}
