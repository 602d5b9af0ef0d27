package io.prefetchd.gateway.fleet;

import com.hazelcast.cluster.Address;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.prefetchd.gateway.reports.ReportStore;
import io.prefetchd.planner.report.EpochReport;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * Epoch reports across the fleet. Each member publishes the figures of every epoch it completes ({@link MemberEpoch})
 * into the fleet's report map ({@value #MAP}: one entry per member, dataset, job and epoch, kept with Hazelcast's
 * backup on another member and for {@link #KEEP}); any member answers with every member's figures, summed per epoch
 * ({@link #report}). A member that is down, killed or not, still counts with what it published; a member that
 * restarts at the same address overwrites its own entries as it completes epochs again.
 *
 * <p>At start a member also publishes the reports it saved before (without overwriting figures it published while
 * it ran), so a fleet restarted as a whole gets its history back as its members come up.
 *
 * <p>Peer bytes of an epoch are the bytes this member received from owners between the end of the job's previous
 * epoch on this dataset (or the member's joining) and the end of this one: exact for one job at a time, shared
 * between the jobs when several read through one member at once.
 *
 * <p>Thread-safe: the map is, and the marks are concurrent.
 */
public final class FleetReports {
    private static final Logger LOG = LoggerFactory.getLogger(FleetReports.class);
    static final String MAP = "prefetchd.reports";
    /** How long a member's figures are kept in the fleet's map after they were last published. */
    static final Duration KEEP = Duration.ofDays(30);

    /** Both null outside a fleet. */
    private final @Nullable Fleet fleet;
    private final @Nullable IMap<String, byte[]> shared;
    private final String self;
    /** Per dataset and job, the peer bytes received when its last epoch was published. */
    private final Map<String, Long> peerMarks = new ConcurrentHashMap<>();

    private FleetReports(@Nullable Fleet fleet, @Nullable IMap<String, byte[]> shared, String self) {
        this.fleet = fleet;
        this.shared = shared;
        this.self = self;
    }

    /**
     * The fleet's reports when this gateway is in a fleet: from now on, every report {@code store} completes is
     * published to the fleet, and so are the reports it holds already. Without a fleet, {@link #report} answers
     * {@link FleetReport#none()}.
     */
    public static FleetReports share(Optional<Fleet> fleet, ReportStore store) {
        requireNonNull(fleet, "fleet is null");
        requireNonNull(store, "store is null");
        if (fleet.isEmpty()) {
            return new FleetReports(null, null, "");
        }
        HazelcastInstance hz = fleet.get().hazelcast();
        FleetReports reports = new FleetReports(fleet.get(), hz.getMap(MAP),
                address(hz.getCluster().getLocalMember()));
        store.onStored(reports::published);
        for (EpochReport r : store.reports(null, null)) {
            if (r.complete()) {
                reports.put(MemberEpoch.of(reports.self, r, 0), false);
            }
        }
        return reports;
    }

    /** A member's address as the fleet knows it, {@code host:port}: the same across the member's restarts. */
    static String address(Member m) {
        Address a = m.getAddress();
        String host = a.getHost();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /** This member's fleet address; {@code ""} outside a fleet. */
    public String self() {
        return self;
    }

    /** A report this member completed: its figures go to the fleet. */
    void published(EpochReport r) {
        if (!r.complete()) {
            return;
        }
        long received = requireNonNull(fleet, "only a fleet publishes").peerReceivedBytes();
        Long mark = peerMarks.put(r.dataset() + '/' + r.job(), received);
        put(MemberEpoch.of(self, r, Math.max(0, received - (mark == null ? 0 : mark))), true);
    }

    /** Publishes {@code m}, replacing what this member published for its epoch before, or only when it is new. */
    private void put(MemberEpoch m, boolean replace) {
        byte[] bytes = m.toBytes();
        IMap<String, byte[]> shared = requireNonNull(this.shared, "only a fleet publishes");
        try {
            if (replace) {
                shared.setAsync(m.key(), bytes, KEEP.toSeconds(), TimeUnit.SECONDS).whenComplete((ok, e) -> {
                    if (e != null) {
                        notShared(m, e);
                    }
                });
            } else {
                shared.putIfAbsent(m.key(), bytes, KEEP.toSeconds(), TimeUnit.SECONDS);
            }
        } catch (RuntimeException e) {   // leaving the fleet
            notShared(m, e);
        }
    }

    private static void notShared(MemberEpoch m, Throwable e) {
        LOG.warn("the figures of epoch {} of job {} on {} were not shared with the fleet: {}", m.epoch(), m.job(),
                m.dataset(), e.toString());
    }

    /**
     * Every member's published figures, summed per epoch; {@code null} filters match everything, a dataset filter
     * matches its id or its path in the export.
     */
    public FleetReport report(@Nullable String datasetOrNull, @Nullable String jobOrNull) {
        if (fleet == null || shared == null) {
            return FleetReport.none();
        }
        List<String> now = new ArrayList<>();
        List<MemberEpoch> figures = new ArrayList<>();
        try {
            for (Member m : fleet.hazelcast().getCluster().getMembers()) {
                now.add(address(m));
            }
            for (byte[] b : shared.values()) {
                MemberEpoch m;
                try {
                    m = MemberEpoch.fromBytes(b);
                } catch (IllegalArgumentException e) {
                    LOG.debug("ignoring a member's epoch figures: {}", e.getMessage());
                    continue;
                }
                if (matches(m, datasetOrNull, jobOrNull)) {
                    figures.add(m);
                }
            }
        } catch (RuntimeException e) {   // this member is leaving: nothing to ask
            LOG.warn("cannot read the fleet's reports: {}", e.toString());
            return new FleetReport(fleet.name(), List.of(), List.of());
        }
        now.sort(null);
        return new FleetReport(fleet.name(), now, FleetEpoch.aggregate(figures));
    }

    static boolean matches(MemberEpoch m, @Nullable String dataset, @Nullable String job) {
        if (job != null && !job.isEmpty() && !job.equals(m.job())) {
            return false;
        }
        if (dataset == null || dataset.isEmpty() || dataset.equals(m.dataset())) {
            return true;
        }
        String path = dataset.replaceAll("^/+(?=.)", "").replaceAll("(?<=.)/+$", "");
        return !m.datasetFormat().isEmpty() && (path.equals(m.datasetPath()) || path.equals("/")
                && m.datasetPath().isEmpty());
    }
}
