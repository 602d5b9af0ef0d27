package io.prefetchd.gateway.fleet;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.partition.MigrationListener;
import com.hazelcast.partition.MigrationState;
import com.hazelcast.partition.ReplicaMigrationEvent;
import io.prefetchd.gateway.prefetch.PlanningCapacity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

import static java.util.Objects.requireNonNull;

/**
 * The fleet's cache as this member's prefetch planners plan for it.
 *
 * <p>Each member fetches and holds only the grains it owns of what its planners plan, and grains are spread over
 * the members by Hazelcast's partitions: a member owning {@code k} of the {@code P} partitions holds about
 * {@code k/P} of any plan. So its planners plan for {@code P/k} times the bytes of its own cache: the plan's share
 * it owns then fills its cache, and the members' shares together fill the fleet's cache, whose capacity is the sum
 * of theirs. With equal caches that is {@code N} times one cache on each of {@code N} members. With unequal caches
 * each member's plan differs, and each still fills its own cache: a plan of the summed capacity on every member
 * would overfill the small ones and leave part of the large ones empty. The factor is at most the number of members:
 * while partitions migrate to a joining member it owns few of them for a moment, and its plan must not swell to the
 * whole dataset and back. While it owns none its planners plan for its own cache; they own nothing yet to fetch.
 *
 * <p>The share of a plan a member owns is {@code k/P} on average over the plan's grains; a dataset of few grains
 * strays from it (a few percent at a few thousand grains), which the cache's reserve beyond the planners' share
 * absorbs.
 *
 * <p>Members publish their caches' capacities ({@value #CACHE_BYTES}, a member attribute) for
 * {@link #fleetBytes}. The plan follows the partition table, which Hazelcast changes as members join and leave:
 * {@link #onChange} listeners are told after every membership change and finished migration, and the prefetch
 * executor also asks on every tick.
 *
 * <p>Thread-safe.
 */
public final class FleetCapacity implements PlanningCapacity {
    private static final Logger LOG = LoggerFactory.getLogger(FleetCapacity.class);
    /** The member attribute holding the capacity of the member's own cache, in bytes. */
    static final String CACHE_BYTES = "prefetchd.cache-bytes";

    /** The share of the scaled bytes planned: room for a plan whose owned share strays above the average. */
    static final double STRAY = 0.9;

    private final IntSupplier ownedPartitions;
    private final IntSupplier members;
    private final int partitions;
    private final LongSupplier fleetBytes;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    /**
     * @param ownedPartitions the partitions this member owns now
     * @param members the members of the fleet now, this one included
     * @param partitions the fleet's partitions (271 unless configured otherwise)
     * @param fleetBytes the members' caches added up
     */
    FleetCapacity(IntSupplier ownedPartitions, IntSupplier members, int partitions, LongSupplier fleetBytes) {
        this.ownedPartitions = requireNonNull(ownedPartitions, "ownedPartitions is null");
        this.members = requireNonNull(members, "members is null");
        this.fleetBytes = requireNonNull(fleetBytes, "fleetBytes is null");
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be positive: " + partitions);
        }
        this.partitions = partitions;
    }

    /** The capacity of {@code membership}'s fleet, told of its membership changes and migrations. */
    static FleetCapacity watch(FleetMembership membership, String bucket) {
        var hz = membership.hazelcast();
        FleetCapacity c = new FleetCapacity(membership::ownedPartitions, membership::size, hz.getPartitionService().getPartitions().size(),
                () -> sumOfCaches(membership, bucket));
        hz.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent e) {
                c.changed();
            }

            @Override
            public void memberRemoved(MembershipEvent e) {
                c.changed();
            }
        });
        hz.getPartitionService().addMigrationListener(new MigrationListener() {
            @Override
            public void migrationStarted(MigrationState state) {
            }

            @Override
            public void migrationFinished(MigrationState state) {
                c.changed();
            }

            @Override
            public void replicaMigrationCompleted(ReplicaMigrationEvent event) {
            }

            @Override
            public void replicaMigrationFailed(ReplicaMigrationEvent event) {
            }
        });
        return c;
    }

    /** The published caches of the members serving {@code bucket} (a member that publishes none counts 0). */
    private static long sumOfCaches(FleetMembership membership, String bucket) {
        var hz = membership.hazelcast();
        if (!hz.getLifecycleService().isRunning()) {
            return 0;
        }
        long sum = 0;
        for (Member m : hz.getCluster().getMembers()) {
            String bytes = m.getAttribute(CACHE_BYTES);
            if (bytes != null && bucket.equals(m.getAttribute(FleetMembership.BUCKET))) {
                try {
                    sum += Long.parseLong(bytes);
                } catch (NumberFormatException e) {
                    LOG.warn("fleet member {} published a cache of '{}' bytes", m.getAddress(), bytes);
                }
            }
        }
        return sum;
    }

    /**
     * The bytes this member's planners plan for, given {@code localBytes} of its own cache: its own bytes over the
     * share of the partitions it owns (at most the members' number of times them), or its own bytes while it owns
     * none.
     */
    @Override
    public long bytes(long localBytes) {
        return scaled(localBytes, ownedPartitions.getAsInt(), partitions, members.getAsInt());
    }

    /**
     * {@code localBytes · min(partitions / owned, members)}; {@code localBytes} when {@code owned} is 0 (or all).
     * Pure.
     */
    static long scaled(long localBytes, int owned, int partitions, int members) {
        if (owned <= 0 || owned >= partitions || members <= 1) {
            return localBytes;
        }
        return (long) (localBytes * Math.min((double) partitions / owned, members) * STRAY);
    }

    /** The members' caches added up, as they publish them: the fleet's cache. */
    public long fleetBytes() {
        return fleetBytes.getAsLong();
    }

    /** Tells {@code listener} (on a Hazelcast event thread; it must not block) whenever the plan may change. */
    public void onChange(Runnable listener) {
        listeners.add(requireNonNull(listener, "listener is null"));
    }

    void changed() {
        for (Runnable r : listeners) {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.warn("a fleet capacity listener failed", e);
            }
        }
    }
}
