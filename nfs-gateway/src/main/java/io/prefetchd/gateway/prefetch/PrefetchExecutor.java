package io.prefetchd.gateway.prefetch;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.prefetchd.formats.DatasetIndex;
import io.prefetchd.gateway.cache.ExtentCache;
import io.prefetchd.gateway.cache.ObjectVersion;
import io.prefetchd.gateway.hints.Planning;
import io.prefetchd.gateway.reports.ReportStore;
import io.prefetchd.planner.EpochOrder;
import io.prefetchd.planner.Extent;
import io.prefetchd.planner.HintSink;
import io.prefetchd.planner.Planner;
import io.prefetchd.planner.PlannerConfig;
import io.prefetchd.planner.Planners;
import io.prefetchd.planner.SampleExtents;
import io.prefetchd.planner.StoreModel;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import static java.util.Objects.requireNonNull;

/**
 * Carries the prefetch planners' schedules out against the real cache and S3.
 *
 * <h2>Threads</h2>
 * One thread ({@code prefetchd-planner}) owns every planner: hint orders (gRPC threads), READs (NFS workers) and
 * GET completions (S3 threads) are posted to it as tasks, so NFS workers never wait on planning and each planner
 * is called from one thread only, as {@link Planner} requires. A tick re-plans every {@link PrefetchSettings#tick}
 * so that prefetching resumes after a pause or when a reader stops and starts again.
 *
 * <h2>What it guarantees</h2>
 * <ul>
 *   <li><b>Demand first.</b> A sample a reader is waiting for is fetched at once, whole, outside the prefetch
 *       budget; prefetches use at most {@link PrefetchSettings#maxPrefetches} GETs and
 *       {@link PrefetchSettings#maxPrefetchBytes} bytes in flight, below the store's own bound, so a demand GET
 *       never queues behind them. Within that, {@link PrefetchBudget} keeps about twice S3's delivery rate ×
 *       latency in flight: enough to fill the link, few enough that the GET a reader needs next is not slowed by
 *       dozens sharing the link with it.</li>
 *   <li><b>Within capacity.</b> Planners get {@link PrefetchSettings#cacheShare} of the cache in whole blocks,
 *       shared between datasets in proportion to what each one's known future needs (the distinct bytes its
 *       published orders name; all its bytes without orders; nothing once its job ended), re-shared when a dataset is
 *       added, an order is published or an epoch ends. A planner that shrinks drops what it needs least at once; the
 *       others grow only into freed room, so the planners together never plan for more than the share. Blocks
 *       they fetch are held (the cache's own eviction passes them over) and go when the planner evicts them,
 *       before the fetch that needs the room is written. In a fleet the cache is the fleet's
 *       ({@link #planWith}): each member's planners plan for it, the member fetches and holds only the blocks it
 *       owns, and a member joining or leaving re-shares it as above.</li>
 *   <li><b>Correct bytes.</b> The executor only decides what to fetch and when; every byte a reader gets still
 *       comes through the cache's checked read path, for the object version the reader opened. An object that
 *       changed since its dataset was indexed is not prefetched (its reads simply map to no sample).</li>
 *   <li><b>Failures.</b> A failed prefetch is planned again after a back-off that doubles up to
 *       {@link PrefetchSettings#maxBackoff}; readers are never failed by a prefetch.</li>
 *   <li><b>Republished epochs.</b> The planner re-plans from the new order; prefetched bytes of the old order stay
 *       valid cache entries it may evict.</li>
 *   <li><b>No silent failures.</b> A dataset whose planner cannot be built is served without prefetch, and says so:
 *       {@link #whenPlanned} fails with the cause (the hint API answers the job with it), {@link #status} lists it
 *       with the cause, and orders for it fail. A planner that throws later keeps its last error in
 *       {@link #status}.</li>
 * </ul>
 *
 * <p>Thread-safe: every public method may be called from any thread and returns without waiting for planning.
 */
public final class PrefetchExecutor implements HintSink, Planning, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PrefetchExecutor.class);
    /** Bytes of a block file beyond its data (header with bucket, key and ETag), as the planner's budget sees it. */
    private static final int BLOCK_OVERHEAD_ESTIMATE = 256;

    /**
     * One dataset's state as {@link #status()} reports it. {@code planned} is false for a dataset whose planner could
     * not be built (then only {@code datasetId} and {@code error} say anything); {@code error} is that cause, or the
     * last error of its planner, or empty.
     */
    public record DatasetStatus(String datasetId, @Nullable String job, int epoch, int samplesReadThisEpoch,
                                int fetchesInFlight, long plannerCapacityBytes, int samples, long datasetBytes,
                                boolean planned, String error) {
    }

    /** Builds a dataset's planner: its block view, sizing, and the blocks of it the cache holds already. */
    @FunctionalInterface
    public interface PlannerFactory {
        Planner create(SampleExtents dataset, PlannerConfig config, List<Extent> resident);

        /**
         * As {@link #create(SampleExtents, PlannerConfig, List)}, given the dataset's epochs observed earlier (its
         * persisted traces, oldest first); a factory that cannot learn ignores them.
         */
        default Planner create(SampleExtents dataset, PlannerConfig config, List<Extent> resident,
                               List<EpochOrder> history) {
            return create(dataset, config, resident);
        }

        /** The production planner: learns from reads and from the history it is given, follows hints when published. */
        PlannerFactory LEARNED = new PlannerFactory() {
            @Override
            public Planner create(SampleExtents dataset, PlannerConfig config, List<Extent> resident) {
                return create(dataset, config, resident, List.of());
            }

            @Override
            public Planner create(SampleExtents dataset, PlannerConfig config, List<Extent> resident,
                                  List<EpochOrder> history) {
                return Planners.learned(dataset, config, history, resident);
            }
        };
    }

    private final ExtentCache cache;
    private final PrefetchSettings settings;
    private final PlannerFactory planners;
    private final LongSupplier clock;
    private final PrefetchMetrics metrics;
    private final ScheduledThreadPoolExecutor actor;
    private final PrefetchBudget budget;
    /** Confined to the actor. */
    private final Map<String, DatasetPrefetcher> byId = new LinkedHashMap<>();
    /** Per dataset, the share of a block file that is data: planner bytes per byte of cache. */
    private final Map<String, Double> dataFraction = new HashMap<>();
    /** Some planner is not at its share yet (a shrink waits for GETs in flight, or a grow for the room). */
    private boolean unbalanced;
    private final List<CompletableFuture<Void>> idleWaiters = new ArrayList<>();
    /** Read by NFS workers to skip objects no planner knows, without posting a task. */
    private final Map<String, String> datasetOfKey = new ConcurrentHashMap<>();
    /** READs being served per object key: their blocks are not dropped until they return. */
    private final Map<String, AtomicInteger> reading = new ConcurrentHashMap<>();
    /** Per dataset, the outcome of its last {@link #addDataset}: completes once its planner is installed. */
    private final Map<String, CompletableFuture<Void>> installs = new ConcurrentHashMap<>();
    /** Per dataset, why it has no planner, or its planner's last error. */
    private final Map<String, String> errors = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private volatile @Nullable ReportStore reports;
    /** What the planners plan for, given this gateway's own cache ({@link #planWith}). */
    private volatile PlanningCapacity capacity = PlanningCapacity.LOCAL;
    /** The planner bytes the planners share now ({@link #usable}); confined to the actor, -1 until first read. */
    private long usableBytes = -1;

    private PrefetchExecutor(ExtentCache cache, PrefetchSettings settings, MeterRegistry registry,
                             LongSupplier clock, PlannerFactory planners) {
        this.cache = requireNonNull(cache, "cache is null");
        this.planners = requireNonNull(planners, "planners is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.metrics = new PrefetchMetrics(requireNonNull(registry, "registry is null"));
        this.budget = new PrefetchBudget(settings.maxPrefetches(), settings.maxPrefetchBytes(),
                settings.storeLatency().toNanos());
        this.actor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "prefetchd-planner");
            t.setDaemon(true);
            return t;
        });
        actor.setRemoveOnCancelPolicy(true);
        metrics.register(Gauge.builder("prefetchd.planner.datasets", datasetOfKey,
                m -> m.values().stream().distinct().count())
                .description("Datasets with a planner").register(registry));
        metrics.register(Gauge.builder("prefetchd.planner.prefetches.in.flight", budget, PrefetchBudget::inFlight)
                .description("Prefetch GETs in flight").register(registry));
        metrics.register(Gauge.builder("prefetchd.planner.prefetch.slots", budget, PrefetchBudget::lastLimit)
                .description("Prefetch GETs allowed in flight now: 2 x S3 delivery rate x latency, in GETs")
                .register(registry));
    }

    /**
     * Starts an executor over {@code cache} with no dataset yet ({@link #addDataset}).
     *
     * @param clock monotonic nanoseconds (System::nanoTime in production)
     */
    public static PrefetchExecutor start(ExtentCache cache, PrefetchSettings settings, MeterRegistry registry,
                                         LongSupplier clock) {
        return start(cache, settings, registry, clock, PlannerFactory.LEARNED);
    }

    /** As {@link #start(ExtentCache, PrefetchSettings, MeterRegistry, LongSupplier)}, with planners from {@code planners}. */
    public static PrefetchExecutor start(ExtentCache cache, PrefetchSettings settings, MeterRegistry registry,
                                         LongSupplier clock, PlannerFactory planners) {
        PrefetchExecutor executor = new PrefetchExecutor(cache, settings, registry, clock, planners);
        long tick = settings.tick().toNanos();
        executor.actor.scheduleWithFixedDelay(executor::tick, tick, tick, TimeUnit.NANOSECONDS);
        return executor;
    }

    /** Ticks that failed in a row (planner thread only): the first is logged with its cause, the rest counted. */
    private long failedTicks;

    private void tick() {
        try {
            pumpAll();
            if (failedTicks > 0) {
                LOG.warn("prefetch planner ticks work again, after {} failed in a row", failedTicks);
                failedTicks = 0;
            }
        } catch (RuntimeException e) { // a thrown tick would cancel every later one: planning would stop
            if (failedTicks++ == 0) {
                LOG.error("prefetch planner tick failed (logged again only once ticks worked in between)", e);
            }
        }
    }

    /**
     * Plans with {@code capacity} from now on (in a fleet, the fleet's cache as this member's planners see it) and
     * re-plans at once. The executor also reads it on every tick, so a change is followed within a tick even
     * without {@link #capacityChanged}.
     */
    public void planWith(PlanningCapacity capacity) {
        this.capacity = requireNonNull(capacity, "capacity is null");
        capacityChanged();
    }

    /**
     * The capacity given to {@link #planWith} may have changed (a fleet member joined or left): the planners move to
     * their new shares now. A smaller capacity shrinks them at once (each drops what it needs least); a larger one
     * grows them into the room.
     */
    public void capacityChanged() {
        post(() -> {
            if (refreshUsable()) {
                rebalance();
            }
        });
    }

    /**
     * Tells the cache where the dataset's samples begin and end, so that blocks follow samples
     * ({@link ExtentCache#cutAt}). {@link #addDataset} does it; with the planner off, call this instead.
     */
    public static void cutAtSamples(ExtentCache cache, DatasetIndex index) {
        new BlockLayout(index, cache.grainBytes()).cutAtSamples(cache);
    }

    /**
     * The view of {@code index} a planner plans with here: each sample as the cache blocks of {@code grainBytes}
     * its extents touch, read from the index when asked (for benchmarks of what planning a dataset costs).
     */
    public static SampleExtents blockView(DatasetIndex index, int grainBytes) {
        return new BlockLayout(index, grainBytes).plannerView();
    }

    /**
     * Plans for a dataset from now on: builds its block layout and a planner that adopts what the cache already
     * holds of it (a restart keeps its pinned set). Replaces an earlier dataset with the same id (a re-index after
     * objects changed). Runs the O(dataset) preparation on the caller's thread.
     *
     * @return completes once the planner is installed, or exceptionally ({@link Planning.PlanningException}) when
     *         none can be built; {@link #whenPlanned} answers the same from then on
     */
    public CompletableFuture<Void> addDataset(String datasetId, DatasetIndex index) {
        return addDataset(datasetId, index, List.of());
    }

    /**
     * As {@link #addDataset(String, DatasetIndex)}, the planner starting from {@code history}: the dataset's epochs
     * observed earlier, oldest first, as samples in order of first read ({@link TraceHistory}), so that an order
     * seen before a restart is recognised from the start instead of relearned.
     */
    public CompletableFuture<Void> addDataset(String datasetId, DatasetIndex index, List<EpochOrder> history) {
        requireNonNull(datasetId, "datasetId is null");
        requireNonNull(index, "index is null");
        List<EpochOrder> seed = List.copyOf(requireNonNull(history, "history is null"));
        CompletableFuture<Void> done = new CompletableFuture<>();
        installs.put(datasetId, done);
        try {
            BlockLayout layout = new BlockLayout(index, cache.grainBytes());
            layout.cutAtSamples(cache); // a sample's bytes are its own blocks
            List<Extent> resident = new ArrayList<>();
            for (ObjectVersion v : layout.versions()) {
                List<ExtentCache.Range> cached = cache.cachedRanges(v);
                if (!cached.isEmpty()) {
                    resident.addAll(layout.residentExtents(v, cached));
                }
            }
            long meanBlock = layout.meanBlockBytes();
            boolean posted = post(() -> {
                try {
                    install(datasetId, layout, resident, meanBlock, seed);
                    errors.remove(datasetId);
                    done.complete(null);
                } catch (RuntimeException e) {
                    notPlanned(datasetId, e, done);
                }
            });
            if (!posted) {
                done.completeExceptionally(new PlanningException("the gateway is shutting down", null));
            }
        } catch (RuntimeException e) {
            notPlanned(datasetId, e, done);
        }
        return done.copy();
    }

    private void notPlanned(String datasetId, RuntimeException e, CompletableFuture<Void> done) {
        String why = "its planner could not be built: " + messageOf(e);
        LOG.error("dataset {} is served without prefetch: {}", datasetId, why, e);
        errors.put(datasetId, why);
        done.completeExceptionally(new PlanningException(why, e));
    }

    /** {@code map}'s value for a planned dataset: the per-dataset maps hold one for every dataset planned. */
    private static <V> V planned(Map<String, V> map, String datasetId) {
        return requireNonNull(map.get(datasetId), () -> "no entry for planned dataset " + datasetId);
    }

    private static String messageOf(Throwable e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    @Override
    public CompletableFuture<Void> whenPlanned(String datasetId) {
        CompletableFuture<Void> f = installs.get(datasetId);
        return f != null ? f.copy() : CompletableFuture.failedFuture(new PlanningException(
                "the planner was never given it (its index is not ready)", null));
    }

    private void install(String datasetId, BlockLayout layout, List<Extent> resident, long meanBlock,
                         List<EpochOrder> history) {
        DatasetPrefetcher old = byId.remove(datasetId);
        if (old != null) {
            old.close();
            dataFraction.remove(datasetId);
            for (ObjectVersion v : old.layout().versions()) {
                cache.release(v, 0, v.size(), false); // back to plain recency: the new planner decides
            }
            datasetOfKey.values().removeIf(datasetId::equals);
        }
        // the others move to their new shares first, so that what the new planner starts with is free
        dataFraction.put(datasetId, (double) meanBlock / (meanBlock + BLOCK_OVERHEAD_ESTIMATE));
        rebalance(datasetId, layout.totalBytes());
        long capacity = Math.min(
                planned(shares(usable(), needs(datasetId, layout.totalBytes()), dataFraction), datasetId),
                (long) (freeCacheBytes() * planned(dataFraction, datasetId)));
        List<Extent> adopted = new ArrayList<>();
        long adoptedBytes = 0;
        for (Extent e : resident) {
            if (adoptedBytes + e.length() > capacity) {
                break;
            }
            adopted.add(e);
            adoptedBytes += e.length();
        }
        StoreModel prior = StoreModel.of(settings.storeLatency(), settings.storeBytesPerSecond(),
                settings.maxPrefetches());
        PlannerConfig d = PlannerConfig.of(capacity, prior, settings.readBytesPerSecond());
        // blocks are the unit: neighbouring blocks coalesce (gap 0); a hole (a tar header between two members) is
        // not fetched, since a held range would hold the hole's block too and no planner extent would release it;
        // reads are matched to the order within 1/8 of the dataset at most (a small dataset's epochs must not
        // match reads of the next epoch to positions of the last one)
        PlannerConfig config = new PlannerConfig(capacity, prior, settings.readBytesPerSecond(), d.safetyMargin(),
                0, d.maxRequestBytes(), d.maxWasteFraction(), d.minWindowBytes(), d.maxWindowFraction(),
                Math.max(8, Math.min(d.readSlack(), layout.sampleCount() / 8)));
        List<EpochOrder> known = new ArrayList<>();
        for (EpochOrder order : history) { // an index rebuilt since may have fewer samples: keep what still fits
            if (order.size() > 0 && java.util.Arrays.stream(order.toArray()).allMatch(s -> s < layout.sampleCount())) {
                known.add(order);
            }
        }
        Planner planner = planners.create(layout.plannerView(), config, adopted, known);
        for (Extent e : adopted) { // hold what the planner adopted, so the cache does not age it out under it
            ObjectVersion v = requireNonNull(layout.version(e.object()), "adopted from this layout");
            cache.prefetch(v, e.offset(), e.length(), true);
        }
        DatasetPrefetcher p = new DatasetPrefetcher(datasetId, layout, planner, cache, settings, budget, this::post,
                metrics, Planners.estimator(prior), this::pumpAll, clock, this::beingRead, () -> reports, capacity);
        byId.put(datasetId, p);
        for (ObjectVersion v : layout.versions()) {
            datasetOfKey.put(v.key(), datasetId);
        }
        LOG.info("planning dataset {}: {} samples, {} bytes, planner capacity {} bytes, {} bytes adopted from the "
                + "cache, {} earlier epochs learned from traces", datasetId, layout.sampleCount(),
                layout.totalBytes(), capacity, adoptedBytes, known.size());
    }

    // ------------------------------------------------------------------ sharing the cache

    /**
     * Each dataset's share of {@code usableBytes} of cache, in planner bytes: in proportion to what its known
     * future needs (evenly when none needs anything), times the share of its block files that is data. The shares
     * add up to at most {@code usableBytes} of cache. Pure, for tests.
     */
    static Map<String, Long> shares(long usableBytes, Map<String, Long> needs, Map<String, Double> dataFraction) {
        double total = needs.values().stream().mapToLong(Long::longValue).sum();
        Map<String, Long> out = new LinkedHashMap<>();
        needs.forEach((id, need) -> {
            double part = total > 0 ? need / total : 1.0 / needs.size();
            out.put(id, (long) Math.floor(usableBytes * part * planned(dataFraction, id)));
        });
        return out;
    }

    /** What each planned dataset needs, and {@code extraId} needing {@code extraNeed} (null for none). */
    private Map<String, Long> needs(@Nullable String extraId, long extraNeed) {
        Map<String, Long> needs = new LinkedHashMap<>();
        byId.forEach((id, p) -> needs.put(id, p.neededBytes()));
        if (extraId != null) {
            needs.put(extraId, extraNeed);
        }
        return needs;
    }

    private long usable() {
        if (usableBytes < 0) {
            refreshUsable();
        }
        return usableBytes;
    }

    /**
     * Reads the planners' capacity again: {@link #plannable} bytes of this gateway's cache, as {@link #capacity}
     * counts them. True when it changed since the last read (not on the first).
     */
    private boolean refreshUsable() {
        long local = plannable(cache.stats().capacityBytes(), settings.cacheShare());
        long now;
        try {
            now = Math.max(0, capacity.bytes(local));
        } catch (RuntimeException e) { // a fleet leaving, say: plan with this cache alone
            LOG.warn("planning capacity unknown, planning with this gateway's cache: {}", messageOf(e));
            now = local;
        }
        long before = usableBytes;
        usableBytes = now;
        if (before >= 0 && before != now) {
            LOG.debug("planning for {} bytes of cache (was {}; this gateway's own: {})", now, before, local);
            return true;
        }
        return false;
    }

    /** Cache bytes no planner has now. */
    private long freeCacheBytes() {
        double held = 0;
        for (DatasetPrefetcher p : byId.values()) {
            held += Math.ceil(p.capacityBytes() / planned(dataFraction, p.datasetId()));
        }
        return Math.max(0, usable() - (long) held);
    }

    /**
     * Moves every planner towards its share: shrinks first (a planner drops what it needs least at once, and gives
     * up bytes in flight as they land), then grows within the cache bytes that are free, so that at no moment do
     * the planners together plan for more than the usable cache. Runs when a dataset is added, when an order is
     * published or an epoch ends (what a dataset needs changes), and on every tick until every planner is at its
     * share.
     */
    private void rebalance() {
        rebalance(null, 0);
    }

    private void rebalance(@Nullable String addingId, long addingNeed) {
        Map<String, Long> target = shares(usable(), needs(addingId, addingNeed), dataFraction);
        boolean off = false;
        for (DatasetPrefetcher p : byId.values()) {
            long t = planned(target, p.datasetId());
            if (p.capacityBytes() > t) {
                resize(p, t);
            }
            off |= p.capacityBytes() > t;
        }
        if (addingId != null) {
            unbalanced = true; // the new planner starts with what is free and grows on the next ticks
            return;
        }
        for (DatasetPrefetcher p : byId.values()) {
            long t = planned(target, p.datasetId());
            if (p.capacityBytes() < t) {
                resize(p, Math.min(t, p.capacityBytes()
                        + (long) (freeCacheBytes() * planned(dataFraction, p.datasetId()))));
            }
            off |= p.capacityBytes() != t;
        }
        unbalanced = off;
    }

    private void resize(DatasetPrefetcher p, long capacity) {
        long before = p.capacityBytes();
        try {
            p.resize(capacity);
        } catch (UnsupportedOperationException e) {
            return; // a planner of fixed capacity keeps it
        } catch (RuntimeException e) {
            plannerFailed(p.datasetId(), "planner error while resizing: " + messageOf(e), e);
            return;
        }
        if (p.capacityBytes() != before) {
            LOG.info("dataset {}: planner capacity {} -> {} bytes (needs {} bytes)", p.datasetId(), before,
                    p.capacityBytes(), p.neededBytes());
        }
    }

    /** Never plan the whole cache: blocks whose drop waits for a READ, and reads no planner knows, need room. */
    static final long MIN_RESERVE_BYTES = 8L << 20;

    /**
     * The bytes planners may fill: {@code share} of the cache, leaving at least {@link #MIN_RESERVE_BYTES} (or a
     * tenth of a cache smaller than 80 MiB). Every byte not planned is a byte fetched again each epoch, so the reserve
     * is a small absolute amount rather than a share of a large cache.
     */
    public static long plannable(long capacityBytes, double share) {
        long reserve = Math.min(MIN_RESERVE_BYTES, capacityBytes / 10);
        return Math.min((long) (capacityBytes * share), capacityBytes - reserve);
    }

    // ------------------------------------------------------------------ events from the read path

    /**
     * An NFS READ is about to be served from the cache. Never blocks. Every call must be followed by
     * {@link #afterRead} for the same key, also when the READ fails: until then no block of the object is dropped.
     */
    public void beforeRead(String key, String etag, long offset) {
        String id = datasetOfKey.get(key);
        if (id == null) {
            return;
        }
        reading.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        long now = clock.getAsLong();
        withDataset(id, p -> {
            p.beforeRead(key, etag, offset, now);
            if (p.takeStarted() && endGraceOfOthers(p)) {   // a job began reading: one that ended gives way
                p.takeNeedChanged();
                rebalance();
            }
        });
    }

    /**
     * Ends the grace of every other dataset whose job ended its epochs ({@link DatasetPrefetcher#endGrace}), when
     * the needs no longer fit the cache ({@link #crowded}).
     */
    private boolean endGraceOfOthers(DatasetPrefetcher p) {
        if (!crowded()) {
            return false;
        }
        boolean changed = false;
        for (DatasetPrefetcher other : byId.values()) {
            if (other != p) {
                other.endGrace();
                changed |= other.takeNeedChanged();
            }
        }
        return changed;
    }

    /**
     * Whether the datasets need more than the planners' cache, a job between its epochs counted at what its last one
     * needed. Only then does a job's grace end, early or at its end: while every need fits, the share a job kept for
     * its next epoch costs no other dataset anything (a training loop that validates on another dataset between two
     * epochs finds its training set still cached however long the validation took).
     */
    private boolean crowded() {
        // as shares() splits the cache: a dataset's planner plans its blocks' data, the rest of its share is headers
        double total = 0;
        for (DatasetPrefetcher p : byId.values()) {
            total += p.neededBytes() / planned(dataFraction, p.datasetId());
        }
        return total > usable();
    }

    /** Epoch reports go to {@code store} from the next epoch on (docs/REPORTS.md). */
    public void reportTo(ReportStore store) {
        this.reports = requireNonNull(store, "store is null");
    }

    /**
     * An NFS READ announced by {@link #beforeRead} was served ({@code bytes} after waiting {@code waitNanos} on S3,
     * 0 when it did not wait) or failed ({@code bytes} 0). Never blocks.
     */
    public void afterRead(String key, String etag, long offset, long bytes, long waitNanos) {
        AtomicInteger n = reading.get(key);
        if (n == null) {
            return;
        }
        metrics.served(waitNanos > 0);
        // null when its dataset was replaced meanwhile, or nothing was read
        String id = bytes > 0 ? datasetOfKey.get(key) : null;
        boolean last = released(key, n);
        if (id == null && !last) {
            return;
        }
        long now = clock.getAsLong();
        post(() -> {   // one task per READ for both: each post wakes the planner thread
            DatasetPrefetcher p = id == null ? null : byId.get(id);
            if (id != null && p != null) {
                try {
                    p.afterRead(key, etag, offset, bytes, waitNanos, now);
                } catch (RuntimeException e) {
                    plannerFailed(id, "planner error: " + messageOf(e), e);
                }
            }
            if (last) {
                dropDeferred(key);
            }
        });
    }

    /**
     * A READ another member of the fleet sent here, announced by {@link #beforeRead} so that the planners see every
     * read of the grains this member owns, was served. It is not in this member's reports or read metrics: the
     * member whose client read it counts it, and a fleet's report sums the members'.
     */
    public void afterPeerRead(String key) {
        AtomicInteger n = reading.get(key);
        if (n != null) {
            release(key, n);
        }
    }

    private void release(String key, AtomicInteger n) {
        if (released(key, n)) {
            post(() -> dropDeferred(key));
        }
    }

    /** Counts one READ of {@code key} done; true when it was the last one in progress. */
    private boolean released(String key, AtomicInteger n) {
        if (n.decrementAndGet() <= 0) {
            reading.remove(key, n);
            return true;
        }
        return false;
    }

    /** On the planner thread: drops the blocks of {@code key} whose drop waited for its READs to end. */
    private void dropDeferred(String key) {
        byId.values().forEach(p -> p.dropDeferred(key));
    }

    private boolean beingRead(String key) {
        AtomicInteger n = reading.get(key);
        return n != null && n.get() > 0;
    }

    // ------------------------------------------------------------------ hints

    /** As {@link #publish}, for callers that do not answer anyone: a failure is logged. */
    @Override
    public void accept(PublishedOrder order) {
        publish(order).whenComplete((ok, e) -> {
            if (e != null) {
                LOG.warn("order of epoch {} for dataset {} not planned: {}", order.epoch(), order.datasetId(),
                        messageOf(e instanceof java.util.concurrent.CompletionException c && c.getCause() != null
                                ? c.getCause() : e));
            }
        });
    }

    @Override
    public CompletableFuture<Void> publish(PublishedOrder order) {
        int[] samples = order.order().toArray();
        long now = clock.getAsLong();
        CompletableFuture<Void> done = new CompletableFuture<>();
        boolean posted = post(() -> {
            DatasetPrefetcher p = byId.get(order.datasetId());
            if (p == null) {
                String why = errors.get(order.datasetId());
                done.completeExceptionally(new PlanningException(why != null ? why : "it has no planner", null));
                return;
            }
            try {
                p.publish(order.job(), order.epoch(), order.rank(), samples, now);
                done.complete(null);
                p.takeStarted();
                boolean changed = p.takeNeedChanged();
                changed |= endGraceOfOthers(p);
                if (changed) {
                    rebalance();
                }
            } catch (RuntimeException e) {
                String why = "its planner refused the order of epoch " + order.epoch() + ": " + messageOf(e);
                plannerFailed(order.datasetId(), why, e);
                done.completeExceptionally(new PlanningException(why, e));
            }
        });
        if (!posted) {
            done.completeExceptionally(new PlanningException("the gateway is shutting down", null));
        }
        return done;
    }

    @Override
    public CompletableFuture<Progress> progress(String datasetId, String job, int epoch) {
        CompletableFuture<Progress> f = new CompletableFuture<>();
        boolean posted = post(() -> {
            DatasetPrefetcher p = byId.get(datasetId);
            f.complete(p == null ? Progress.NONE : p.progress(job, epoch));
        });
        if (!posted) {
            f.complete(Progress.NONE);
        }
        return f;
    }

    /** A dataset's planner threw: its status line shows why; logged when the reason differs from its last one. */
    private void plannerFailed(String datasetId, String why, RuntimeException e) {
        if (why.equals(errors.put(datasetId, why))) {
            LOG.debug("dataset {}: {} (again)", datasetId, why, e);
        } else {
            LOG.error("dataset {}: {}", datasetId, why, e);
        }
    }

    @Override
    public void endEpoch(String datasetId, String job, int epoch) {
        long now = clock.getAsLong();
        withDataset(datasetId, p -> {
            p.endEpoch(job, epoch, now);
            if (p.takeNeedChanged()) {
                rebalance();
            }
        });
    }

    // ------------------------------------------------------------------ status and tests

    /** A snapshot of every planned dataset (waits up to a second for the planner thread). */
    public List<DatasetStatus> status() {
        CompletableFuture<List<DatasetStatus>> f = new CompletableFuture<>();
        post(() -> {
            List<DatasetStatus> out = new ArrayList<>();
            for (DatasetPrefetcher p : byId.values()) {
                out.add(new DatasetStatus(p.datasetId(), p.job(), p.epoch(), p.distinctReadThisEpoch(),
                        p.fetchesInFlight(), p.capacityBytes(),
                        p.layout().sampleCount(), p.layout().totalBytes(), true,
                        errors.getOrDefault(p.datasetId(), "")));
            }
            errors.forEach((id, why) -> {
                if (!byId.containsKey(id)) {
                    out.add(new DatasetStatus(id, null, -1, 0, 0, 0, 0, 0, false, why));
                }
            });
            f.complete(out);
        });
        try {
            return f.get(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        } catch (ExecutionException | TimeoutException e) {
            return List.of();
        }
    }

    /**
     * Completes once every event posted before this call is handled, no GET of a planner is in flight and no
     * planner is backing off after failures (for tests and benchmarks: the planners have done what they can). An
     * epoch whose reader has been silent past the idle gap by then has ended.
     */
    public CompletableFuture<Void> whenIdle() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        post(() -> {
            idleWaiters.add(f);
            endIdleEpochs(clock.getAsLong());
            checkIdle();
        });
        return f;
    }

    // ------------------------------------------------------------------ the planner thread

    /** Lets every planner use free slots (on the tick, and after each completed GET), then wakes idle waiters. */
    private void pumpAll() {
        boolean needs = refreshUsable(); // a fleet member joined or left
        long now = clock.getAsLong();
        boolean crowded = crowded();
        for (DatasetPrefetcher p : byId.values()) {
            if (crowded) {
                onDataset(p, q -> q.endGraceIfOver(now));
            }
            needs |= p.takeNeedChanged(); // an epoch started by reads, or a job's grace over
        }
        if (needs || unbalanced) {
            rebalance();
        }
        endIdleEpochs(now);
        for (DatasetPrefetcher p : byId.values()) {
            onDataset(p, q -> q.pump(now));
        }
        checkIdle();
    }

    /** Ends the epochs without hints whose reader has been silent past the idle gap (their reports are due). */
    private void endIdleEpochs(long now) {
        for (DatasetPrefetcher p : byId.values()) {
            onDataset(p, q -> q.endIfIdle(now));
        }
    }

    /** One dataset's step of a tick: a planner that throws gets the error on its status line, the others go on. */
    private void onDataset(DatasetPrefetcher p, Consumer<DatasetPrefetcher> step) {
        try {
            step.accept(p);
        } catch (RuntimeException e) {
            plannerFailed(p.datasetId(), "planner error: " + messageOf(e), e);
        }
    }

    /**
     * Runs {@code action} on the planner thread with the dataset's prefetcher, if it still has one; an exception
     * becomes the dataset's last error.
     */
    private void withDataset(String datasetId, Consumer<DatasetPrefetcher> action) {
        post(() -> {
            DatasetPrefetcher p = byId.get(datasetId);
            if (p != null) {
                onDataset(p, action);
            }
        });
    }

    private void checkIdle() {
        if (idleWaiters.isEmpty()) {
            return;
        }
        long now = clock.getAsLong();
        if (!allIdle(now)) {
            return;
        }
        if (unbalanced) { // every GET landed, so every planner can reach its share now, and use it
            rebalance();
            byId.values().forEach(p -> onDataset(p, q -> q.pump(now)));
            if (!allIdle(now)) {
                return;
            }
        }
        idleWaiters.forEach(w -> w.complete(null));
        idleWaiters.clear();
    }

    private boolean allIdle(long now) {
        for (DatasetPrefetcher p : byId.values()) {
            if (!p.idle(now)) {
                return false;
            }
        }
        return true;
    }

    /** Runs {@code task} on the planner thread; false when the executor is closing and the task will not run. */
    private boolean post(Runnable task) {
        if (closed) {
            return false;
        }
        try {
            actor.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) { // a planner bug must not stop prefetching for every dataset
                    LOG.error("prefetch planner task failed", e);
                }
            });
            return true;
        } catch (RejectedExecutionException e) {
            return false; // closing
        }
    }

    /**
     * Stops planning; GETs in flight complete into the cache (which waits for them when it closes). Each running
     * epoch ends here as {@code shutdown}, its report built from the reads it had: close this before the report
     * store, so that the report gets its LRU/OPT simulation.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        post(() -> byId.values().forEach(DatasetPrefetcher::close));
        closed = true;
        actor.shutdown();
        try {
            if (!actor.awaitTermination(5, TimeUnit.SECONDS)) {
                actor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            actor.shutdownNow();
        }
        metrics.close();
    }
}
