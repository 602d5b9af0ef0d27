package io.prefetchd.gateway.fleet;

import com.hazelcast.core.HazelcastInstance;
import io.micrometer.core.instrument.MeterRegistry;
import io.prefetchd.gateway.cache.ExtentCache;
import io.prefetchd.gateway.prefetch.PrefetchExecutor;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * This gateway's place in a fleet: its membership, its peer data channel (serving its cache to the other members
 * and reading theirs) and the fleet's view of the cache ({@link #cache()}), which the read path and the prefetch
 * executor use in place of the local cache.
 *
 * <p>Joined with the {@link HandoverStore} the local cache reads from, the grains that move to this member are taken
 * from their previous owners' caches before S3.
 *
 * <p>Start order: the peer server first (its port is published with the membership), then the membership.
 * {@link #cache()}'s {@code close()} leaves the fleet, then closes the local cache.
 *
 * <p>Thread-safe.
 */
public final class Fleet implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Fleet.class);
    /** Peer reads served at once; each may wait for one S3 GET. */
    private static final int PEER_THREADS = 16;

    private final FleetSettings settings;
    private final PeerServer server;
    private final PeerClient client;
    private final FleetMembership membership;
    private final FleetExtentCache cache;
    private final FleetMetrics metrics;
    private final FleetCapacity capacity;
    /** This gateway's prefetch planners, told of the reads other members send here; null for none. */
    private final AtomicReference<PrefetchExecutor> planner;

    private Fleet(FleetSettings settings, PeerServer server, PeerClient client, FleetMembership membership,
                  ExtentCache local, FleetMetrics metrics, String bucket,
                  AtomicReference<PrefetchExecutor> planner) {
        this.planner = planner;
        this.settings = settings;
        this.server = server;
        this.client = client;
        this.membership = membership;
        this.metrics = metrics;
        this.cache = new FleetExtentCache(local, membership, client, metrics, bucket, this);
        this.capacity = FleetCapacity.watch(membership, bucket);
    }

    /**
     * Joins the fleet with {@code local} as this member's share of the fleet's cache.
     *
     * @param bucket the bucket served (every member must serve the same one)
     * @throws RuntimeException when a listener cannot be opened; {@code local} is left open
     */
    public static Fleet join(FleetSettings settings, ExtentCache local, String bucket, MeterRegistry registry) {
        return join(settings, local, bucket, null, registry, Clock.systemUTC());
    }

    /**
     * Joins the fleet with {@code local} as this member's share of the fleet's cache, {@code local} reading what it
     * misses from {@code store}: grains that move to this member are then asked of their previous owner before S3.
     *
     * @param store the store {@code local} was opened over
     * @throws RuntimeException when a listener cannot be opened; {@code local} is left open
     */
    public static Fleet join(FleetSettings settings, ExtentCache local, HandoverStore store, MeterRegistry registry,
                             Clock clock) {
        requireNonNull(store, "store is null");
        return join(settings, local, store.bucket(), store, registry, clock);
    }

    private static Fleet join(FleetSettings settings, ExtentCache local, String bucket,
                              @Nullable HandoverStore store, MeterRegistry registry, Clock clock) {
        requireNonNull(settings, "settings is null");
        requireNonNull(local, "local is null");
        requireNonNull(bucket, "bucket is null");
        requireNonNull(clock, "clock is null");
        FleetMetrics metrics = new FleetMetrics(registry);
        PreviousOwners previous = new PreviousOwners(settings.handoverWindow(), clock);
        var planner = new AtomicReference<PrefetchExecutor>();
        PeerAuth auth = PeerAuth.of(settings.token(), clock);
        PeerServer server = PeerServer.start(settings.bind(), settings.peerPort(), auth, local, metrics,
                PEER_THREADS, planner::get);
        PeerClient client = new PeerClient(settings.peerTimeout(), auth);
        FleetMembership membership;
        try {
            membership = FleetMembership.join(settings, server.port(), bucket, local.stats().capacityBytes(),
                    client::forget, previous);
        } catch (RuntimeException e) {
            client.close();
            server.close();
            throw e;
        }
        metrics.watchMembers(registry, membership::size);
        metrics.watchOwnership(registry, membership::ownedPartitions);
        if (store != null) {
            store.handOverFrom(membership, client, metrics, local.grainBytes());
        }
        Fleet fleet = new Fleet(settings, server, client, membership, local, metrics, bucket, planner);
        metrics.watchCapacity(registry, fleet.capacity::fleetBytes);
        return fleet;
    }

    /** The fleet whose {@link #cache()} {@code cache} is, if it is one. */
    public static java.util.Optional<Fleet> of(ExtentCache cache) {
        return cache instanceof FleetExtentCache f ? java.util.Optional.of(f.fleet()) : java.util.Optional.empty();
    }

    /** The fleet's cache as this member reads it; closing it leaves the fleet and closes the local cache. */
    public ExtentCache cache() {
        return cache;
    }

    /**
     * Makes {@code executor} this member's planners in the fleet: they plan for the fleet's cache
     * ({@link #capacity()}), re-plan as members join and leave, and see the reads other members send here for the
     * grains this member owns, as reads of its own (each member's reader reads only part of what the fleet reads).
     */
    public void planWith(PrefetchExecutor executor) {
        requireNonNull(executor, "executor is null");
        executor.planWith(capacity);
        capacity.onChange(executor::capacityChanged);
        planner.set(executor);
    }

    /** The fleet's cache as this member's prefetch planners plan for it. */
    public FleetCapacity capacity() {
        return capacity;
    }

    /** The fleet's name. */
    public String name() {
        return settings.name();
    }

    /** Members now, this one included (0 once it left). */
    public int members() {
        return membership.size();
    }

    /** Partitions this member owns now: 0 until the fleet has handed it its share. */
    public int ownedPartitions() {
        return membership.ownedPartitions();
    }

    /** The port of this member's peer data channel. */
    public int peerPort() {
        return server.port();
    }

    /**
     * This member's place in the fleet on one line, for {@code /status}: members seen against those listed (a member
     * with another name or token forms a fleet of its own), partitions owned, the peer port, and whether it is open.
     */
    public String status() {
        return settings.name() + ": " + members() + " members (" + settings.members().size() + " listed), owns "
                + ownedPartitions() + " of " + membership.hazelcast().getPartitionService().getPartitions().size()
                + " partitions, peer port " + peerPort() + (settings.token().isEmpty()
                        ? ", no token (the peer port serves anyone who reaches it)" : ", token required");
    }

    /** Bytes this member has received from owners over the peer data channel since it joined. */
    long peerReceivedBytes() {
        return metrics.receivedBytes();
    }

    /** The embedded engine, for state the members share (hints). */
    HazelcastInstance hazelcast() {
        return membership.hazelcast();
    }

    /**
     * Stops as a killed process would, for tests: the member vanishes without handing anything over and the peer
     * channel closes; the other members find out through their failure detector. The local cache stays open.
     */
    void crash() {
        membership.hazelcast().getLifecycleService().terminate();
        server.close();
        client.close();
    }

    /** Leaves the fleet: the peer channel stops (members asking fall back to S3), then the membership hands over. */
    void leave() {
        server.close();
        client.close();
        membership.close();
        LOG.info("left fleet {}", settings.name());
    }

    /** Leaves the fleet and closes the local cache (as {@code cache().close()}). */
    @Override
    public void close() {
        cache.close();
    }
}
