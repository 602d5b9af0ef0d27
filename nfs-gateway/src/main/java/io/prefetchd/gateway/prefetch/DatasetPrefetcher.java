package io.prefetchd.gateway.prefetch;

import io.prefetchd.gateway.cache.ExtentCache;
import io.prefetchd.gateway.cache.ObjectVersion;
import io.prefetchd.gateway.hints.Planning;
import io.prefetchd.gateway.reports.ReportStore;
import io.prefetchd.planner.report.EpochEnd;
import io.prefetchd.planner.report.EpochLog;
import io.prefetchd.planner.EpochOrder;
import io.prefetchd.planner.Extent;
import io.prefetchd.planner.Fetch;
import io.prefetchd.planner.FetchObservation;
import io.prefetchd.planner.Planner;
import io.prefetchd.planner.StoreModel;
import io.prefetchd.planner.StoreModelEstimator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * Drives one dataset's planner against the real cache: maps reads to samples, tells the planner, issues its
 * demand fetches at once and its prefetches as slots free, evicts what it says before writing, and feeds completed
 * GETs back (and into the store-model estimate).
 *
 * <p>Not thread-safe: every method runs on the executor's single thread, which also runs the completions (they
 * are posted back to it), so the planner is only ever called from that thread.
 */
final class DatasetPrefetcher {
    private static final Logger LOG = LoggerFactory.getLogger(DatasetPrefetcher.class);
    private static final int MODEL_UPDATE_EVERY = 32;

    /** A GET on its way; {@code deliveredAtStart} is the budget's delivered total then (for its rate sample). */
    private record InFlight(Fetch fetch, long startedNanos, long deliveredAtStart) {
    }

    private final String datasetId;
    private final BlockLayout layout;
    private final Planner planner;
    private final ExtentCache cache;
    private final PrefetchSettings settings;
    private final PrefetchBudget budget;
    private final Executor actor;
    private final PrefetchMetrics metrics;
    private final StoreModelEstimator estimator;
    private EpochTracker epochs;
    private final RankOrders orders = new RankOrders();
    private final Map<Long, InFlight> inFlight = new HashMap<>();
    private final Runnable afterCompletion;
    private final LongSupplier clock;
    private final Predicate<String> beingRead;
    private final Supplier<ReportStore> reports;
    private long capacityBytes;
    /** What the known future needs in the cache ({@link #neededBytes}), and whether it changed since last asked. */
    private long neededBytes;
    private boolean needChanged;
    /** The last epoch the job said it finished. */
    private int endedThrough = -1;
    /**
     * When every epoch the job announced had ended ({@link #clock} nanoseconds; {@link #NOT_ENDED} while one runs):
     * the need stays what it was, for the job's next epoch, until the executor ends the grace ({@link #endGrace}).
     */
    private long allEndedAt = NOT_ENDED;
    private static final long NOT_ENDED = Long.MIN_VALUE;
    /** An epoch started since {@link #takeStarted} was last asked. */
    private boolean started;
    /** The running epoch's report log (null before the first epoch or without a report store). */
    private @Nullable EpochLog log;
    /** Samples in the order the running epoch first read them; the previous epoch's, for the report's warm-up. */
    private int[] readOrder = new int[64];
    private int readCount;
    private int @Nullable [] previousOrder;
    /** Blocks a prefetch brought in that no read has touched yet: dropped unread, they are the report's waste. */
    private final Set<Extent> prefetchedUnread = new HashSet<>();
    /** Evictions of objects a READ was still copying out of, per object key: dropped when the READs return. */
    private final Map<String, List<Extent>> deferredDrops = new HashMap<>();
    /** Samples read by the last few epochs that are over, for {@link #progress}. */
    private final java.util.TreeMap<Integer, Integer> finishedReads = new java.util.TreeMap<>();
    private static final int KEEP_FINISHED = 4;
    private long pausedUntil = Long.MIN_VALUE;
    private long backoffNanos;
    private long completions;
    private boolean closed;

    DatasetPrefetcher(String datasetId, BlockLayout layout, Planner planner, ExtentCache cache,
                      PrefetchSettings settings, PrefetchBudget budget, Executor actor, PrefetchMetrics metrics,
                      StoreModelEstimator estimator, Runnable afterCompletion, LongSupplier clock,
                      Predicate<String> beingRead, Supplier<ReportStore> reports, long capacityBytes) {
        this.datasetId = requireNonNull(datasetId, "datasetId is null");
        this.layout = requireNonNull(layout, "layout is null");
        this.planner = requireNonNull(planner, "planner is null");
        this.cache = requireNonNull(cache, "cache is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.budget = requireNonNull(budget, "budget is null");
        this.actor = requireNonNull(actor, "actor is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
        this.estimator = requireNonNull(estimator, "estimator is null");
        this.afterCompletion = requireNonNull(afterCompletion, "afterCompletion is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.beingRead = requireNonNull(beingRead, "beingRead is null");
        this.reports = requireNonNull(reports, "reports is null");
        this.capacityBytes = capacityBytes;
        this.neededBytes = layout.totalBytes();
        this.epochs = newEpochTracker();
    }

    private EpochTracker newEpochTracker() {
        return new EpochTracker(layout.sampleCount(), layout.emptySamples(), settings.idleGap().toNanos());
    }

    String datasetId() {
        return datasetId;
    }

    /** The bytes the planner plans for now (its share of the cache, or more while a shrink waits for GETs). */
    long capacityBytes() {
        return capacityBytes;
    }

    /**
     * What this dataset's known future needs in the cache: the distinct bytes of the samples that the published
     * orders of the running and later epochs name; all its bytes while no job published an order (any sample may be
     * read). Once every epoch it was told of has ended, what the last one needed (a sampler ends an epoch before it
     * publishes the next one) until the executor ends its grace ({@link #endGraceIfOver}, {@link #endGrace}: when
     * the datasets' needs exceed the cache, after {@link PrefetchSettings#jobGrace} or at once when a job of another
     * dataset publishes an order or begins an epoch by reading), then none (its job is done).
     */
    long neededBytes() {
        return neededBytes;
    }

    /** True once after {@link #neededBytes} changed. */
    boolean takeNeedChanged() {
        boolean c = needChanged;
        needChanged = false;
        return c;
    }

    /**
     * On the executor's tick, while the needs exceed the cache: a job whose last announced epoch ended
     * {@link PrefetchSettings#jobGrace} ago or longer gives its share up (its need goes to none).
     */
    void endGraceIfOver(long now) {
        if (allEndedAt != NOT_ENDED && graceOver(now)) {
            endGrace();
        }
    }

    private boolean graceOver(long now) {
        return now - allEndedAt >= settings.jobGrace().toNanos();
    }

    /**
     * A job of another dataset published an order or began an epoch by reading: a job of this one that had ended every
     * epoch it announced is taken as done, so that a job starting as another ends gets its share at once (a job
     * between two of its own epochs publishes its next order within seconds, rarely just as another dataset's epoch
     * begins).
     */
    void endGrace() {
        if (allEndedAt != NOT_ENDED && neededBytes != 0) {
            neededBytes = 0;
            needChanged = true;
        }
    }

    private void refreshNeed() {
        long need;
        if (orders.job() == null) {
            need = layout.totalBytes();
        } else {
            java.util.BitSet seen = new java.util.BitSet(layout.sampleCount());
            need = 0;
            for (EpochOrder order : orders.ordersFrom(Math.max(epochs.epoch(), endedThrough + 1))) {
                for (int i = 0; i < order.size(); i++) {
                    int s = order.sampleAt(i);
                    if (!seen.get(s)) {
                        seen.set(s);
                        need += layout.index().sampleBytes(s);
                    }
                }
            }
            if (need > 0) {
                allEndedAt = NOT_ENDED;
            } else {
                long now = clock.getAsLong();
                if (allEndedAt == NOT_ENDED) {   // the job ended the last epoch it announced: its grace begins
                    allEndedAt = now;
                }
                need = neededBytes;   // until the executor ends the grace, and only when the needs exceed the cache
            }
        }
        if (need != neededBytes) {
            neededBytes = need;
            needChanged = true;
        }
    }

    /** The executor moves this dataset's share of the cache to {@code capacity}: drops what the planner gives up. */
    void resize(long capacity) {
        drop(planner.resize(capacity));
        capacityBytes = planner.capacityBytes();
    }

    BlockLayout layout() {
        return layout;
    }

    int epoch() {
        return epochs.epoch();
    }

    int distinctReadThisEpoch() {
        return epochs.distinctRead();
    }

    int fetchesInFlight() {
        return inFlight.size();
    }

    @Nullable String job() {
        return orders.job();
    }

    /**
     * How far {@code job}'s epoch is: samples of its merged order that were read ({@code consumed}), and those read
     * or whose blocks are all in the cache now ({@code fetched}). An epoch that is over reports what it read. Costs
     * one pass over the order and one look at the cache per object.
     */
    Planning.Progress progress(String job, int epoch) {
        if (!job.equals(orders.job())) {
            return Planning.Progress.NONE;
        }
        if (epoch < epochs.epoch()) {
            long read = finishedReads.getOrDefault(epoch, 0);
            return new Planning.Progress(read, read);
        }
        EpochOrder order = orders.order(epoch);
        if (order == null) {
            return Planning.Progress.NONE;
        }
        boolean current = epoch == epochs.epoch();
        Map<ObjectVersion, Set<Long>> cachedBlocks = new HashMap<>();
        java.util.BitSet seen = new java.util.BitSet(layout.sampleCount());
        long fetched = 0;
        for (int i = 0; i < order.size(); i++) {
            int sample = order.sampleAt(i);
            if (seen.get(sample)) {
                continue;
            }
            seen.set(sample);
            if (current && epochs.wasRead(sample) || inCache(sample, cachedBlocks)) {
                fetched++;
            }
        }
        return new Planning.Progress(fetched, current ? epochs.distinctRead() : 0);
    }

    private boolean inCache(int sample, Map<ObjectVersion, Set<Long>> cachedBlocks) {
        for (Extent block : layout.plannerView().extentsOf(sample)) {
            ObjectVersion v = requireNonNull(layout.version(block.object()), "the planner view is this layout's");
            Set<Long> starts = cachedBlocks.computeIfAbsent(v, k -> {
                Set<Long> out = new HashSet<>();
                cache.cachedRanges(k).forEach(r -> out.add(r.offset()));
                return out;
            });
            if (!starts.contains(block.offset())) {
                return false;
            }
        }
        return true;
    }

    /**
     * One rank's order for an epoch (validated by the hint service).
     *
     * @throws IllegalArgumentException when the planner refuses the order (a bug: the hint service validated it)
     */
    void publish(String job, int epoch, int rank, int[] samples, long now) {
        if (startsOver(job, epoch, rank)) {
            startOver(job, epoch, now);
        }
        EpochOrder merged = orders.put(job, epoch, rank, samples);
        planner.publish(merged);
        refreshNeed();
        int started = epochs.onPublish(epoch, merged.size());
        if (started >= 0) {
            planner.onEpochStart(started, now);
            epochStarted(started, now);
            LOG.debug("dataset {}: epoch {} started by its hint ({} samples)", datasetId, started, merged.size());
        } else if (epoch == epochs.epoch() && log != null) {
            log.planned(merged.size(), plannedFetchBytes());
        }
        pump(now);
    }

    /**
     * Whether an order begins a new run: one of another job than the last that published; one from a rank that had
     * published that epoch or a later one already, for an epoch before the running one, or not after one the job
     * ended, or for the running one once it was read (a training script run again under the same job name, a job
     * resumed from an earlier checkpoint, or restarted within the epoch it was killed in); or, with no job publishing
     * yet, one of an epoch before the one reads without hints had reached. A rank that publishes an old epoch for
     * the first time is late, not a new run: its order joins the epoch's. A rank that publishes the running epoch
     * again before it was read changes its order.
     */
    private boolean startsOver(String job, int epoch, int rank) {
        String last = orders.job();
        if (last == null) {
            return epoch < epochs.epoch();
        }
        if (!last.equals(job)) {
            return true;
        }
        boolean again = epoch < epochs.epoch() || epoch <= endedThrough || epoch == epochs.epoch() && readCount > 0;
        return again && orders.publishedFrom(rank, epoch);
    }

    /**
     * Forgets the old run: its orders, its epochs and what it ended; its running epoch's report ends here. What the
     * cache holds stays, for the new run's orders to keep or evict.
     */
    private void startOver(String job, int epoch, long now) {
        LOG.info("dataset {}: job {} starts at epoch {} after {} in epoch {}: planning afresh", datasetId, job, epoch,
                orders.job() == null ? "reads without hints" : "job " + orders.job(), epochs.epoch());
        // the old run's last epoch ends at its last event (a read, or a GET landing), not when the new run began
        finishEpoch(log != null && log.reads() > 0 ? log.lastEventNanos() : now, EpochEnd.NEXT_EPOCH);
        orders.clear();
        epochs = newEpochTracker();
        endedThrough = -1;
        allEndedAt = NOT_ENDED;
        finishedReads.clear();
        planner.restart();
    }

    /** A READ of {@code key} at {@code offset} arrived (before the cache serves it). */
    void beforeRead(String key, String etag, long offset, long now) {
        int sample = layout.sampleAt(key, etag, offset);
        if (sample < 0) {
            return;
        }
        int started = epochs.beforeRead(sample, now);
        if (started >= 0) {
            planner.onEpochStart(started, now);
            epochStarted(started, now);
        }
        if (!epochs.firstReadInEpoch(sample)) {
            return;
        }
        if (readCount == readOrder.length) {
            readOrder = Arrays.copyOf(readOrder, readCount * 2);
        }
        readOrder[readCount++] = sample;
        metrics.sampleRead();
        if (!prefetchedUnread.isEmpty()) {
            for (Extent e : layout.plannerView().extentsOf(sample)) {
                prefetchedUnread.remove(e);
            }
        }
        for (Fetch demand : planner.onRead(sample, now)) {
            issue(demand, now);
        }
        pump(now);
    }

    /** A READ announced by {@link #beforeRead} was served: into the epoch's report. */
    void afterRead(String key, String etag, long offset, long bytes, long waitNanos, long now) {
        if (log == null) {
            return;
        }
        int sample = layout.sampleAt(key, etag, offset);
        if (sample >= 0) {
            log.read(now, sample, bytes, waitNanos);
        }
    }

    /**
     * {@code job} said it finished {@code epoch}: its report is built now rather than when the next one starts. An
     * end from another job than the one planned for (a run that another one replaced) changes nothing.
     */
    void endEpoch(String job, int epoch, long now) {
        if (orders.job() != null && !orders.job().equals(job)) {
            return;
        }
        epochs.onEnd(epoch);
        if (epoch == epochs.epoch()) {
            finishEpoch(now, EpochEnd.END_EPOCH);
        }
        endedThrough = Math.max(endedThrough, epoch);
        refreshNeed();
    }

    /**
     * An epoch without hints whose reader has been silent for longer than the idle gap is over (the rule that the
     * next read would apply): its report is built now, ending at its last event, rather than at that next read,
     * which may never come (the job's last epoch, or one the client's page cache served).
     */
    void endIfIdle(long now) {
        if (log != null && !epochs.hinted(epochs.epoch()) && log.reads() > 0 && epochs.silentFor(now)) {
            finishEpoch(log.lastEventNanos(), EpochEnd.IDLE);
        }
    }

    /** True once after an epoch of this dataset started (by an order or by reads). */
    boolean takeStarted() {
        boolean s = started;
        started = false;
        return s;
    }

    private void epochStarted(int epoch, long now) {
        started = true;
        finishEpoch(now, EpochEnd.NEXT_EPOCH);
        refreshNeed();
        ReportStore store = reports.get();
        if (store == null) {
            return;
        }
        String job = orders.job() == null ? "default" : orders.job();
        log = store.begin(datasetId, job, epoch, now, capacityBytes, layout.totalBytes(), epochs.hinted(epoch));
        if (epochs.hinted(epoch)) {
            log.planned(epochs.orderLength(epoch), plannedFetchBytes());
        }
    }

    /** What an epoch must fetch at least: the part of the dataset that does not fit (the (1 − c)·D bound). */
    private long plannedFetchBytes() {
        return Math.max(0, layout.totalBytes() - capacityBytes);
    }

    private void finishEpoch(long endNanos, EpochEnd how) {
        if (epochs.epoch() >= 0) {
            finishedReads.put(epochs.epoch(), epochs.distinctRead());
            finishedReads.headMap(epochs.epoch() - KEEP_FINISHED).clear();
        }
        int[] before = previousOrder;
        if (readCount > 0) {
            // an epoch that read nothing (already ended by EndEpoch, then started again by the next order; or
            // served from the client's page cache) leaves the cache as it was: the order before it still warms
            previousOrder = Arrays.copyOf(readOrder, readCount);
        }
        readCount = 0;
        if (log == null) {
            return;
        }
        log.end(endNanos, how);
        ReportStore store = reports.get();
        if (store != null) {
            store.complete(log, layout.plannerView(), before == null || before.length == 0 ? null : before);
        }
        log = null;
    }

    /** Issues prefetches while slots are free. */
    void pump(long now) {
        if (closed || now < pausedUntil) {
            return;
        }
        int free = budget.freeSlots(now);
        if (free <= 0) {
            return;
        }
        for (Fetch f : planner.poll(now, free)) {
            issue(f, now);
        }
    }

    private void issue(Fetch f, long now) {
        ObjectVersion version = layout.version(f.object());
        if (version == null) { // cannot happen: the planner only knows this layout's objects
            LOG.error("dataset {}: planner asked for unknown object {}", datasetId, f.object());
            planner.onFetchFailed(f.id(), now);
            return;
        }
        drop(f.evictFirst());
        if (!f.demand()) {
            budget.take(f.length());
            // unread until a read of its sample (a read while the GET is in flight counts: it joined the GET)
            prefetchedUnread.addAll(layout.blocksIn(f.object(), f.offset(), f.length()));
        }
        inFlight.put(f.id(), new InFlight(f, now, budget.deliveredTotal()));
        CompletableFuture<Void> done;
        try {
            done = cache.prefetch(version, f.offset(), f.length(), f.cache());
        } catch (RuntimeException e) {
            done = CompletableFuture.failedFuture(e);
        }
        long id = f.id();
        done.whenComplete((ignored, failure) -> actor.execute(() -> completed(id, failure)));
    }

    /** Drops blocks the planner evicted from the cache (after the READs copying out of them returned). */
    private void drop(List<Extent> evicted) {
        for (Extent e : evicted) {
            ObjectVersion victim = layout.version(e.object());
            if (victim == null) {
                continue;
            }
            if (prefetchedUnread.remove(e) && log != null) {
                log.prefetchedUnused(e.length());
            }
            if (beingRead.test(victim.key())) { // typically the sample just read: drop it once its READ returned
                deferredDrops.computeIfAbsent(victim.key(), k -> new ArrayList<>()).add(e);
            } else {
                cache.release(victim, e.offset(), e.length(), true);
            }
        }
        metrics.evicted(evicted.size());
    }

    /** A fetch finished; runs on the executor's thread. */
    void completed(long id, Throwable failure) {
        InFlight in = inFlight.remove(id);
        if (in == null) {
            return;
        }
        Fetch f = in.fetch();
        if (!f.demand()) {
            budget.give(f.length());
        }
        long now = clock.getAsLong();
        metrics.fetched(f.demand(), failure == null, f.length());
        if (log != null) {
            log.fetch(in.startedNanos(), now, f.object(), f.offset(), f.length(), f.usefulBytes(), f.demand(),
                    failure == null);
        }
        if (failure == null) {
            budget.delivered(now, in.startedNanos(), in.deliveredAtStart(), f.length());
            planner.onFetchCompleted(id, now);
            backoffNanos = 0;
            estimator.observe(new FetchObservation(f.length(), in.startedNanos(), now, now));
            if (++completions % MODEL_UPDATE_EVERY == 0) {
                planner.updateStoreModel(withLatencyFloor(estimator.current()));
            }
        } else {
            if (!f.demand()) {
                layout.blocksIn(f.object(), f.offset(), f.length()).forEach(prefetchedUnread::remove);
            }
            planner.onFetchFailed(id, now);
            if (!closed) {
                backoffNanos = backoffNanos == 0 ? 50_000_000L
                        : Math.min(backoffNanos * 2, settings.maxBackoff().toNanos());
                pausedUntil = now + backoffNanos;
                LOG.warn("dataset {}: {} GET of {} bytes {}+{} failed, pausing prefetch for {} ms: {}", datasetId,
                        f.demand() ? "demand" : "prefetch", f.object(), f.offset(), f.length(),
                        backoffNanos / 1_000_000, rootMessage(failure));
            }
        }
        afterCompletion.run();
    }

    /** Drops the evictions deferred while {@code key} was being read, unless a READ of it started again. */
    void dropDeferred(String key) {
        List<Extent> extents = deferredDrops.get(key);
        if (extents == null || beingRead.test(key)) {
            return;
        }
        deferredDrops.remove(key);
        for (Extent e : extents) {
            ObjectVersion v = requireNonNull(layout.version(e.object()), "a drop of this layout's object");
            cache.release(v, e.offset(), e.length(), true);
        }
    }

    /**
     * The estimate, but never faster than the configured first-byte latency: the estimator tracks the minimum (as
     * BBR does), and on a loaded host the lookahead sized from it is too short for the slow tail of GETs (a
     * reader then waits a few milliseconds for prefetches issued just before its read).
     */
    private StoreModel withLatencyFloor(StoreModel m) {
        Duration floor = settings.storeLatency();
        return m.firstByteLatency().compareTo(floor) >= 0 ? m
                : new StoreModel(floor, m.bytesPerSecond(), m.maxConcurrentRequests(),
                        m.maxRequestsPerSecondPerPrefix());
    }

    /** Stops prefetching; the running epoch's report is built from the reads it had, ending at its last event. */
    void close() {
        closed = true;
        if (log != null) {
            finishEpoch(log.lastEventNanos(), EpochEnd.SHUTDOWN);
        }
    }

    /** No GET in flight and not backing off (a pause would resume fetching when it ends). */
    boolean idle(long now) {
        return inFlight.isEmpty() && now >= pausedUntil;
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c != c.getCause()) {
            c = c.getCause();
        }
        return c.getMessage() == null ? c.toString() : c.getMessage();
    }
}
