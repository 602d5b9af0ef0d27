package io.prefetchd.gateway.fleet;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.prefetchd.gateway.datasets.DatasetKind;
import io.prefetchd.gateway.datasets.DatasetRegistry;
import io.prefetchd.gateway.datasets.ServedDataset;
import io.prefetchd.gateway.hints.Planning;
import io.prefetchd.planner.HintSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * Hints published to any member reach every member's planner. Each order this member's planner accepted is put in
 * the fleet's hint map ({@value #MAP}: one entry per dataset, job and rank, kept with Hazelcast's backups); every
 * other member is told of the entry, indexes the dataset itself if it has not yet, and hands the order to its own
 * planner, which prefetches the grains that member owns (the fleet's cache passes over the rest). A member that
 * joins later reads the map's epochs still running, so a restarted member plans again at once.
 *
 * <p>What stays per member: the hint API's answers (status, progress) and the trace naming of reads under the job's
 * epoch are those of the member the job talks to.
 *
 * <p>Thread-safe: the map and the planners are; events arrive on Hazelcast's event threads and are handed on
 * without blocking them.
 */
public final class FleetHints implements Planning {
    private static final Logger LOG = LoggerFactory.getLogger(FleetHints.class);
    static final String MAP = "prefetchd.hints";

    private final Planning local;
    private final DatasetRegistry datasets;
    private final IMap<String, byte[]> shared;
    /** This member's id: hints it shared are its planner's already. */
    private final String self;

    private FleetHints(Planning local, DatasetRegistry datasets, IMap<String, byte[]> shared, String self) {
        this.self = self;
        this.local = local;
        this.datasets = datasets;
        this.shared = shared;
    }

    /**
     * The planning the hint service should use: {@code local}'s, shared with the fleet when this gateway is in one.
     */
    public static Planning share(Optional<Fleet> fleet, Planning local, DatasetRegistry datasets) {
        requireNonNull(fleet, "fleet is null");
        requireNonNull(local, "local is null");
        requireNonNull(datasets, "datasets is null");
        if (fleet.isEmpty()) {
            return local;
        }
        var hz = fleet.get().hazelcast();
        FleetHints hints = new FleetHints(local, datasets, hz.getMap(MAP),
                hz.getCluster().getLocalMember().getUuid().toString());
        hints.listen();
        return hints;
    }

    private void listen() {
        shared.addEntryListener(new Listener(), true);
        for (Map.Entry<String, byte[]> e : shared.entrySet()) {   // epochs published before this member joined
            SharedHint h = parse(e.getValue());
            if (h != null && !h.ended() && !h.origin().equals(self)) {
                apply(h);
            }
        }
    }

    private final class Listener implements EntryAddedListener<String, byte[]>, EntryUpdatedListener<String, byte[]> {
        @Override
        public void entryAdded(EntryEvent<String, byte[]> event) {
            received(event);
        }

        @Override
        public void entryUpdated(EntryEvent<String, byte[]> event) {
            received(event);
        }

        private void received(EntryEvent<String, byte[]> event) {
            SharedHint h = parse(event.getValue());
            if (h != null && !h.origin().equals(self)) {   // this member's own hints are its planner's already
                apply(h);
            }
        }
    }

    private static @Nullable SharedHint parse(byte[] bytes) {
        try {
            return SharedHint.fromBytes(bytes);
        } catch (IllegalArgumentException e) {
            LOG.warn("ignoring a hint shared by another member: {}", e.getMessage());
            return null;
        }
    }

    /** Indexes the hint's dataset here (joining an index in progress) and hands the order to this planner. */
    private void apply(SharedHint h) {
        Optional<DatasetKind> kind = DatasetKind.byName(h.kind());
        if (kind.isEmpty()) {
            LOG.warn("ignoring a shared hint for dataset {} of unknown format {}", h.exportPath(), h.kind());
            return;
        }
        CompletableFuture<ServedDataset> dataset;
        try {
            dataset = datasets.registerAsync(h.exportPath(), kind.get().format(), kind.get().layout(), h.columns());
        } catch (RuntimeException e) {
            LOG.warn("cannot index {} ({}) for a shared hint: {}", h.exportPath(), h.kind(), e.getMessage());
            return;
        }
        dataset.thenCompose(d -> local.whenPlanned(d.id()).thenCompose(ok -> {
            if (h.ended()) {
                local.endEpoch(d.id(), h.job(), h.epoch());
                return CompletableFuture.completedFuture(null);
            }
            return local.publish(new HintSink.PublishedOrder(d.id(), h.job(), h.rank(), h.worldSize(),
                    h.epochOrder()));
        })).whenComplete((ok, e) -> {
            if (e != null) {
                LOG.warn("a shared hint for epoch {} of job {} on {} ({}) was not planned here: {}", h.epoch(),
                        h.job(), h.exportPath(), h.kind(), e.getMessage());
            } else {
                LOG.info("{} epoch {} of job {} rank {}/{} on {} ({}), shared by the fleet",
                        h.ended() ? "ended" : "planning", h.epoch(), h.job(), h.rank(), h.worldSize(),
                        h.exportPath(), h.kind());
            }
        });
    }

    @Override
    public CompletableFuture<Void> whenPlanned(String datasetId) {
        return local.whenPlanned(datasetId);
    }

    /** Plans here; once this planner took the order, shares it with the fleet. */
    @Override
    public CompletableFuture<Void> publish(HintSink.PublishedOrder order) {
        return local.publish(order).thenRun(() -> datasets.byId(order.datasetId()).ifPresent(d -> {
            SharedHint h = new SharedHint(self, d.id(), d.exportPath(), d.formatName(), d.spec().columns(), order.job(),
                    order.rank(), order.worldSize(), order.epoch(), order.order().toArray(), false);
            shared.setAsync(h.key(), h.toBytes()).whenComplete((ok, e) -> {
                if (e != null) {
                    LOG.warn("epoch {} of job {} was not shared with the fleet: {}", order.epoch(), order.job(),
                            e.toString());
                }
            });
        }));
    }

    @Override
    public void endEpoch(String datasetId, String job, int epoch) {
        local.endEpoch(datasetId, job, epoch);
        String prefix = datasetId + '/' + job + '/';
        for (String key : shared.keySet()) {   // one entry per rank of the job
            if (key.startsWith(prefix)) {
                SharedHint h = parse(shared.get(key));
                if (h != null && h.epoch() == epoch && !h.ended()) {   // ended here: tell the others
                    shared.setAsync(key, new SharedHint(self, h.datasetId(), h.exportPath(), h.kind(), h.columns(),
                            h.job(), h.rank(), h.worldSize(), h.epoch(), h.order(), true).toBytes());
                }
            }
        }
    }

    @Override
    public CompletableFuture<Progress> progress(String datasetId, String job, int epoch) {
        return local.progress(datasetId, job, epoch);
    }
}
