package io.prefetchd.gateway.reports;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.prefetchd.gateway.datasets.ServedDataset;
import io.prefetchd.planner.SampleExtents;
import io.prefetchd.planner.report.EpochEnd;
import io.prefetchd.planner.report.EpochLog;
import io.prefetchd.planner.report.EpochReport;
import io.prefetchd.planner.report.Reports;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * The gateway's epoch reports: the epochs in progress (their live {@link EpochLog}s, shown as partial reports) and
 * the last completed reports of every (dataset, job), in memory and as JSON files under
 * {@code <state-dir>/reports/}, reloaded at start.
 *
 * <h2>Life of a report</h2>
 * The executor calls {@link #begin} at an epoch's start and records into the returned log; at the epoch's end it
 * calls {@code log.end(now)} and {@link #complete}. Completing runs the counterfactual simulation (seconds for
 * millions of reads) on this store's executor, never on the caller's thread. If the simulation fails, or the
 * executor is full or shut down, the report is kept without counterfactuals and the failure is logged: a report is
 * never lost. Until it is stored, the epoch stays visible as a partial report. Every epoch begun is stored once: an
 * epoch still running at {@link #close} is ended there ({@code ended: shutdown}) and kept with the reads it had.
 *
 * <h2>Names</h2>
 * Reports are kept by dataset id; once {@link #nameDatasetsWith} is given the served datasets, every report
 * shown or stored names its dataset by path and format too, and the {@code dataset} filters match the id, the
 * path or the name ({@link EpochReport#isOfDataset}).
 *
 * <h2>Bounds</h2>
 * At most {@code keepPerJob} reports per (dataset, job) and {@code maxReports} in all, in memory and on disk: the
 * oldest go first (files deleted). Files larger than {@link #MAX_FILE_BYTES} or unreadable are skipped at start
 * with a warning, not deleted.
 *
 * <h2>Threads</h2>
 * Thread-safe. The completed reports are guarded by this object's monitor; file writes happen outside it on the
 * executor's thread (or the caller's, when rejected).
 */
public final class ReportStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReportStore.class);

    /** Reports kept per (dataset, job) by default. */
    public static final int DEFAULT_KEEP_PER_JOB = 50;
    /** Reports kept in all by default. */
    public static final int DEFAULT_MAX_REPORTS = 2_000;
    /** Larger report files are not loaded (a report is ~15 kB). */
    public static final long MAX_FILE_BYTES = 4L << 20;
    private static final String SUFFIX = ".json";

    private final Path dir;
    private final int keepPerJob;
    private final int maxReports;
    private final Executor executor;
    private final @Nullable ExecutorService ownedExecutor;
    private final Clock clock;

    private record Key(String dataset, String job) {
    }

    private record Kept(Key key, EpochReport report, @Nullable Path file) {
    }

    /** Completed reports, oldest first. Guarded by {@code this}. */
    private final Deque<Kept> kept = new ArrayDeque<>();
    private final Map<Key, Integer> perKey = new HashMap<>();
    /** An epoch in progress, or completed with its report being built; stored once, by whoever gets there first. */
    private static final class Pending {
        final EpochLog log;
        final AtomicBoolean stored = new AtomicBoolean();

        Pending(EpochLog log) {
            this.log = log;
        }
    }

    /** Epochs in progress, and completed ones whose report is being built. */
    private final Map<EpochLog, Pending> live = new ConcurrentHashMap<>();
    private final Map<String, Double> lastNoWait = new ConcurrentHashMap<>();
    private final MeterRegistry registry;
    private final Counter counterfactualFailures;
    private long sequence;
    private volatile Function<String, Optional<ServedDataset>> names = id -> Optional.empty();
    private final List<Consumer<EpochReport>> storedListeners = new CopyOnWriteArrayList<>();
    /** Set by {@link #close}, which stores every epoch then live: a later {@link #complete} of one is ignored. */
    private volatile boolean closed;

    /**
     * @param dir        the reports folder ({@code <state-dir>/reports}); created on the first write
     * @param executor   runs the counterfactual simulations; not shut down by {@link #close}
     * @param clock      stamps each completed report's {@code finished_at}
     */
    public ReportStore(Path dir, int keepPerJob, int maxReports, Executor executor, Clock clock,
                       MeterRegistry registry) {
        this(dir, keepPerJob, maxReports, executor, null, clock, registry);
    }

    private ReportStore(Path dir, int keepPerJob, int maxReports, Executor executor, @Nullable ExecutorService owned,
                        Clock clock, MeterRegistry registry) {
        this.dir = requireNonNull(dir, "dir is null");
        if (keepPerJob < 1 || maxReports < 1) {
            throw new IllegalArgumentException("keepPerJob and maxReports must be positive: " + keepPerJob + ", "
                    + maxReports);
        }
        this.keepPerJob = keepPerJob;
        this.maxReports = maxReports;
        this.executor = requireNonNull(executor, "executor is null");
        this.ownedExecutor = owned;
        this.clock = requireNonNull(clock, "clock is null");
        this.registry = requireNonNull(registry, "registry is null");
        Gauge.builder("prefetchd.reports.kept", this, ReportStore::size)
                .description("completed epoch reports kept (memory and <state-dir>/reports)").register(registry);
        Gauge.builder("prefetchd.reports.epochs.running", live, Map::size)
                .description("epochs in progress (partial reports), and completed ones being simulated")
                .register(registry);
        counterfactualFailures = Counter.builder("prefetchd.reports.counterfactual.failures")
                .description("reports kept without LRU/OPT because the simulation failed or could not run")
                .register(registry);
        load();
    }

    /**
     * A store with its own single simulation thread (queue of 16 reports; past that, reports are kept without
     * counterfactuals), loading what {@code dir} holds.
     */
    public static ReportStore open(Path dir, int keepPerJob, int maxReports, Clock clock, MeterRegistry registry) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(16),
                r -> {
                    Thread t = new Thread(r, "prefetchd-reports");
                    t.setDaemon(true);
                    t.setPriority(Thread.MIN_PRIORITY);
                    return t;
                });
        return new ReportStore(dir, keepPerJob, maxReports, pool, pool, clock, registry);
    }

    /** Names the datasets of reports by their path and format: {@code served} answers a dataset id. */
    public void nameDatasetsWith(Function<String, Optional<ServedDataset>> served) {
        this.names = requireNonNull(served, "served is null");
    }

    /** The report with its dataset's name, when the report lacks one and the dataset is served. */
    private EpochReport named(EpochReport r) {
        if (!r.datasetFormat().isEmpty()) {
            return r;
        }
        return names.apply(r.dataset()).map(d -> r.withDatasetName(d.exportPath(), d.formatName())).orElse(r);
    }

    /** Starts recording an epoch; the returned log shows as a partial report until its report is stored. */
    public EpochLog begin(String datasetId, String job, int epoch, long startNanos, long capacityBytes,
                          long datasetBytes, boolean hinted) {
        EpochLog log = new EpochLog(datasetId, job, epoch, startNanos, capacityBytes, datasetBytes, hinted);
        live.put(log, new Pending(log));
        return log;
    }

    /**
     * Builds the epoch's report, with LRU and OPT simulated on its reads, on this store's executor, then keeps and
     * persists it. Call {@code log.end(now, how)} first; a log not ended is ended at its latest event, as
     * {@code next_epoch}. After {@link #close}, an epoch it already stored is not stored again.
     *
     * @param dataset             the dataset the log's sample ids index
     * @param previousOrderOrNull the previous epoch's sample order (replayed first to warm the simulated caches)
     */
    public void complete(EpochLog log, SampleExtents dataset, int @Nullable [] previousOrderOrNull) {
        requireNonNull(log, "log is null");
        requireNonNull(dataset, "dataset is null");
        log.endAtLatestEvent(EpochEnd.NEXT_EPOCH); // no-op when the executor ended it
        Pending pending = closed ? live.get(log) : live.computeIfAbsent(log, Pending::new);
        if (pending == null) {
            LOG.debug("{}: completed after the store closed, which kept its report then", log);
            return;
        }
        int[] previous = previousOrderOrNull == null ? null : previousOrderOrNull.clone();
        try {
            executor.execute(() -> {
                if (!pending.stored.get()) {
                    store(pending, buildSafely(log, dataset, previous));
                }
            });
        } catch (RejectedExecutionException e) {
            counterfactualFailures.increment();
            LOG.warn("{}: report kept without LRU/OPT: the simulation queue is full or closed", log);
            store(pending, Reports.withoutCounterfactual(log, "not simulated: the simulation queue was full"));
        }
    }

    private EpochReport buildSafely(EpochLog log, SampleExtents dataset, int @Nullable [] previous) {
        try {
            return Reports.build(log, dataset, previous);
        } catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
            counterfactualFailures.increment();
            LOG.warn("{}: report kept without LRU/OPT: the simulation failed", log, e);
            return Reports.withoutCounterfactual(log, "not simulated: " + oneLine(e));
        }
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m.lines().findFirst().orElse(""));
    }

    private void store(Pending pending, EpochReport report) {
        if (!pending.stored.compareAndSet(false, true)) {
            return; // stored already (by close(), while its simulation was still running)
        }
        try {
            EpochReport stamped = named(report).withFinishedAt(clock.instant().toString());
            Path file = persist(stamped);
            List<Path> dropped;
            synchronized (this) {
                dropped = add(new Kept(new Key(stamped.dataset(), stamped.job()), stamped, file));
            }
            delete(dropped);
            lastNoWait.put(stamped.dataset(), stamped.noWaitShare());
            registerNoWaitGauge(stamped.dataset());
            tellStored(stamped);
        } finally {
            live.remove(pending.log);
        }
    }

    /**
     * Tells {@code listener} of every report completed from now on, named, on the thread that stored it (the
     * simulation's); a listener that throws is logged and does not stop the others.
     */
    public void onStored(Consumer<EpochReport> listener) {
        storedListeners.add(requireNonNull(listener, "listener is null"));
    }

    private void tellStored(EpochReport report) {
        for (Consumer<EpochReport> l : storedListeners) {
            try {
                l.accept(report);
            } catch (RuntimeException e) {
                LOG.warn("a listener of completed reports failed on {}/{} epoch {}", report.dataset(), report.job(),
                        report.epoch(), e);
            }
        }
    }

    /** Per dataset id, its no-wait gauge. Guarded by itself for registration. */
    private final Map<String, Gauge> noWaitGauges = new ConcurrentHashMap<>();

    /**
     * The dataset is now served: its no-wait gauge (registered at start with an unknown path) is labelled with its
     * path from now on.
     */
    public void datasetServed(String datasetId) {
        if (lastNoWait.containsKey(datasetId)) {
            registerNoWaitGauge(datasetId);
        }
    }

    /** Registers the dataset's gauge, or re-registers it when its path became known. */
    private void registerNoWaitGauge(String dataset) {
        String path = names.apply(dataset).map(d -> d.exportPath().isEmpty() ? "/" : d.exportPath()).orElse("");
        synchronized (noWaitGauges) {
            Gauge old = noWaitGauges.get(dataset);
            if (old != null && (path.isEmpty() || path.equals(old.getId().getTag("dataset_path")))) {
                return;
            }
            if (old != null) {
                registry.remove(old);
            }
            noWaitGauges.put(dataset, Gauge.builder("prefetchd.reports.no.wait.share", lastNoWait,
                            m -> m.getOrDefault(dataset, Double.NaN))
                    .tag("dataset", dataset).tag("dataset_path", path)
                    .description("share of reads served without waiting on S3 in the dataset's last completed epoch")
                    .register(registry));
        }
    }

    /** Adds a report; returns the files of the reports it pushed out. Caller holds the monitor. */
    private List<Path> add(Kept k) {
        kept.addLast(k);
        perKey.merge(k.key(), 1, Integer::sum);
        List<Path> dropped = new ArrayList<>();
        if (perKey.getOrDefault(k.key(), 0) > keepPerJob) {
            for (Iterator<Kept> it = kept.iterator(); it.hasNext(); ) {
                Kept old = it.next();
                if (old.key().equals(k.key())) {
                    it.remove();
                    perKey.merge(old.key(), -1, Integer::sum);
                    dropped.add(old.file());
                    break;
                }
            }
        }
        while (kept.size() > maxReports) {
            Kept old = kept.removeFirst();
            if (perKey.merge(old.key(), -1, Integer::sum) == 0) {
                perKey.remove(old.key());
            }
            dropped.add(old.file());
        }
        dropped.removeIf(p -> p == null);
        return dropped;
    }

    private @Nullable Path persist(EpochReport r) {
        long seq;
        synchronized (this) {
            seq = ++sequence;
        }
        String name = String.format(Locale.ROOT, "%s__%s__e%d__%d-%d%s", safe(r.dataset()), safe(r.job()),
                r.epoch(), clock.millis(), seq, SUFFIX);
        Path file = dir.resolve(name);
        Path tmp = dir.resolve("." + name + ".tmp");
        try {
            Files.createDirectories(dir);
            Files.writeString(tmp, Reports.toJson(List.of(r)), StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            return file;
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("cannot save the report of {}/{} epoch {} under {}: kept in memory only", r.dataset(), r.job(),
                    r.epoch(), dir, e);
            return null;
        }
    }

    /** A file-name-safe form of an id: letters, digits, '.', '-', '_' kept, the rest '_', at most 48 chars + hash. */
    static String safe(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 48; i++) {
            char ch = s.charAt(i);
            b.append(ch < 128 && (Character.isLetterOrDigit(ch) || ch == '.' || ch == '-') ? ch : '_');
        }
        return b + "-" + Integer.toHexString(s.hashCode());
    }

    private void delete(List<Path> files) {
        for (Path f : files) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException e) {
                LOG.warn("cannot delete old report {}", f, e);
            }
        }
    }

    private void load() {
        List<EpochReport> reports = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        for (Path f : list(dir)) {
            try {
                if (Files.size(f) > MAX_FILE_BYTES) {
                    LOG.warn("skipping report file {}: larger than {} bytes", f, MAX_FILE_BYTES);
                    continue;
                }
                for (EpochReport r : Reports.fromJson(Files.readString(f, StandardCharsets.UTF_8))) {
                    reports.add(r);
                    files.add(f);
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("skipping unreadable report file {}: {}", f, e.getMessage());
            }
        }
        Integer[] order = new Integer[reports.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, Comparator.comparing((Integer i) -> finished(reports.get(i)))
                .thenComparing(i -> files.get(i).getFileName().toString()));
        List<Path> dropped = new ArrayList<>();
        synchronized (this) {
            for (int i : order) {
                EpochReport r = reports.get(i);
                dropped.addAll(add(new Kept(new Key(r.dataset(), r.job()), r, files.get(i))));
                lastNoWait.put(r.dataset(), r.noWaitShare());
            }
        }
        delete(dropped);
        lastNoWait.keySet().forEach(this::registerNoWaitGauge);
        if (!reports.isEmpty()) {
            LOG.info("loaded {} epoch reports from {}", size(), dir);
        }
    }

    private static Instant finished(EpochReport r) {
        try {
            return Instant.parse(r.finishedAt());
        } catch (DateTimeParseException e) {
            return Instant.EPOCH;
        }
    }

    private static List<Path> list(Path dir) {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path p : s) {
                if (Files.isRegularFile(p)) {
                    out.add(p);
                }
            }
        } catch (NoSuchFileException e) {
            return out;
        } catch (IOException e) {
            LOG.warn("cannot list the reports folder {}: {}", dir, e.getMessage());
        }
        out.sort(Comparator.comparing(p -> p.getFileName().toString()));
        return out;
    }

    /**
     * The reports persisted under {@code dir} (for {@code prefetchd report --state-dir}), oldest first, filtered.
     *
     * @throws UncheckedIOException if {@code dir} does not exist or cannot be read
     */
    public static List<EpochReport> readPersisted(Path dir, String datasetOrNull, String jobOrNull) {
        if (!Files.isDirectory(dir)) {
            throw new UncheckedIOException(new NoSuchFileException(dir.toString(), null, "no such folder"));
        }
        List<EpochReport> out = new ArrayList<>();
        for (Path f : list(dir)) {
            try {
                if (Files.size(f) <= MAX_FILE_BYTES) {
                    out.addAll(Reports.fromJson(Files.readString(f, StandardCharsets.UTF_8)));
                }
            } catch (IOException | RuntimeException e) {
                LOG.debug("skipping unreadable report file {}", f, e);
            }
        }
        out.sort(Comparator.comparing(ReportStore::finished));
        return sorted(filter(out, datasetOrNull, jobOrNull));
    }

    /**
     * Completed reports, then partial reports of the epochs in progress, grouped by dataset and job, oldest first
     * within a job; {@code null} filters match everything.
     */
    public List<EpochReport> reports(@Nullable String datasetOrNull, @Nullable String jobOrNull) {
        return reports(datasetOrNull, jobOrNull, 0);
    }

    /** As {@link #reports(String, String)}, with only the {@code limit} most recent completed reports (0: all). */
    public List<EpochReport> reports(@Nullable String datasetOrNull, @Nullable String jobOrNull, int limit) {
        List<EpochReport> done = new ArrayList<>();
        synchronized (this) {
            for (Kept k : kept) {
                done.add(named(k.report()));
            }
        }
        done = filter(done, datasetOrNull, jobOrNull);
        List<EpochReport> out = new ArrayList<>(limit > 0 && done.size() > limit
                ? done.subList(done.size() - limit, done.size()) : done);
        List<EpochLog> running = new ArrayList<>(live.keySet());
        running.sort(Comparator.comparingLong(EpochLog::startNanos));
        for (EpochLog log : running) {
            EpochReport partial = named(Reports.withoutCounterfactual(log,
                    log.ended() ? "being simulated" : "epoch in progress"));
            if (matches(partial, datasetOrNull, jobOrNull)) {
                out.add(partial);
            }
        }
        return sorted(out);
    }

    private static List<EpochReport> filter(List<EpochReport> in, @Nullable String dataset, @Nullable String job) {
        List<EpochReport> out = new ArrayList<>();
        for (EpochReport r : in) {
            if (matches(r, dataset, job)) {
                out.add(r);
            }
        }
        return out;
    }

    private static boolean matches(EpochReport r, @Nullable String wantedDataset, @Nullable String wantedJob) {
        return (wantedDataset == null || wantedDataset.isEmpty() || r.isOfDataset(wantedDataset))
                && (wantedJob == null || wantedJob.isEmpty() || r.job().equals(wantedJob));
    }

    /** Stable: keeps the time order within each (dataset, job). */
    private static List<EpochReport> sorted(List<EpochReport> in) {
        List<EpochReport> out = new ArrayList<>(in);
        out.sort(Comparator.comparing(EpochReport::dataset).thenComparing(EpochReport::job));
        return out;
    }

    /** Completed reports kept. */
    public synchronized int size() {
        return kept.size();
    }

    /**
     * Stops the store's own simulation thread (if it has one), waiting up to 10 s for reports being built; the
     * reports of completed epochs still waiting for their simulation are then kept without counterfactuals. Epochs
     * still in progress end at their latest event ({@code ended: shutdown}) and are kept the same way, with the reads
     * they had: an epoch begun is never lost. (The executor closes first and completes its running epochs itself,
     * so that their simulation runs; this covers the rest.)
     */
    @Override
    public void close() {
        closed = true;
        if (ownedExecutor != null) {
            ownedExecutor.shutdown();
            try {
                if (!ownedExecutor.awaitTermination(10, TimeUnit.SECONDS)) {
                    ownedExecutor.shutdownNow();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ownedExecutor.shutdownNow();
            }
        }
        for (Pending p : new ArrayList<>(live.values())) {
            if (p.stored.get()) {
                continue;
            }
            boolean running = !p.log.ended();
            p.log.endAtLatestEvent(EpochEnd.SHUTDOWN);
            counterfactualFailures.increment();
            store(p, Reports.withoutCounterfactual(p.log, running ? "not simulated: the daemon stopped during the epoch"
                    : "not simulated: the daemon stopped first"));
        }
    }
}
