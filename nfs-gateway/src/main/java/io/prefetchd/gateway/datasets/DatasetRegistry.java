package io.prefetchd.gateway.datasets;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.prefetchd.formats.DatasetIndexer;
import io.prefetchd.formats.DatasetSpec;
import io.prefetchd.formats.FileLayout;
import io.prefetchd.formats.Format;
import io.prefetchd.formats.IndexBuild;
import io.prefetchd.formats.IndexStore;
import io.prefetchd.formats.ObjectFailure;
import io.prefetchd.gateway.index.ObjectStoreRangeSource;
import io.prefetchd.gateway.s3.ListPage;
import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.s3.ObjectStoreException;
import io.prefetchd.planner.units.Sizes;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static java.util.Objects.requireNonNull;

/**
 * The datasets the gateway serves, each with its {@link io.prefetchd.formats.DatasetIndex sample index}: what
 * the hint API validates orders against and what the prefetcher turns samples into byte ranges with.
 *
 * <p><b>Building.</b> {@link #register} lists the dataset under the export, loads the index persisted in
 * {@code <state-dir>/indexes} and rescans only the objects that are new or whose ETag changed (a restart over
 * an unchanged bucket reads no object), then saves it. Builds run on a pool of {@value #BUILDS} threads;
 * each build reads at most {@code parallelism} objects at once on a shared scan pool of that many threads, so
 * however many datasets are registered, indexing never has more than {@code parallelism} objects in flight.
 *
 * <p><b>Identity.</b> A dataset is its {@link DatasetSpec} (format, location, columns, layout); its id is a
 * hash of the spec, so it is the same on every call and across restarts. Registering a spec that is being
 * built joins that build; registering one that is built returns it at once. A failed build is forgotten, so
 * the next registration tries again.
 *
 * <p><b>Listeners</b> ({@link #addListener}) are called once per dataset, on the build thread, when its index
 * is ready, and again when {@link #reindex} finds it changed; a listener added later is first called for every
 * dataset already registered.
 *
 * <p>Thread-safe: every method may be called from any thread.
 */
public final class DatasetRegistry implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DatasetRegistry.class);
    /** Datasets indexed at the same time. */
    static final int BUILDS = 2;
    /** Objects read at once across all builds, unless configured otherwise. */
    public static final int DEFAULT_PARALLELISM = 4;
    private static final int FAILURES_LOGGED = 5;

    private final ObjectStore store;
    private final String prefix;
    private final IndexStore indexes;
    private final DatasetIndexer indexer;
    private final ExecutorService builds;
    private final ExecutorService scans;
    private final MeterRegistry meters;
    private final Clock clock;
    private final Map<DatasetSpec, CompletableFuture<ServedDataset>> bySpec = new ConcurrentHashMap<>();
    private final Map<String, ServedDataset> byId = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Integer>> pathTables = new ConcurrentHashMap<>();
    private final List<Consumer<ServedDataset>> listeners = new ArrayList<>();   // guarded by itself
    private final Counter objectsScanned;
    private final Counter objectsReused;

    /** Index saves untouched for this long are taken for abandoned (a crash mid-save) and deleted at start. */
    static final Duration ABANDONED_AFTER = Duration.ofHours(1);

    private void removeAbandonedSaves(Path indexDir) {
        try {
            long bytes = indexes.removeAbandoned(clock.instant(), ABANDONED_AFTER);
            if (bytes > 0) {
                LOG.info("removed {} of index files left by saves that never finished, in {}", Sizes.format(bytes),
                        indexDir);
            }
        } catch (IOException e) {
            LOG.warn("could not look for index files left by unfinished saves in {}: {}", indexDir, e.toString());
        }
    }

    /**
     * @param store the gateway's bucket (not closed by the registry)
     * @param prefix the export's key prefix, as configured ({@code data}, {@code /data/} alike)
     * @param indexDir where indexes are persisted, e.g. {@code <state-dir>/indexes}
     * @param parallelism objects read at once while indexing, at least 1
     */
    public DatasetRegistry(ObjectStore store, String prefix, Path indexDir, int parallelism, MeterRegistry meters,
                           Clock clock) {
        this.store = requireNonNull(store, "store is null");
        this.prefix = normalizePrefix(requireNonNull(prefix, "prefix is null"));
        this.indexes = IndexStore.inFolder(requireNonNull(indexDir, "indexDir is null"));
        this.meters = requireNonNull(meters, "meters is null");
        this.clock = requireNonNull(clock, "clock is null");
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be at least 1, not " + parallelism);
        }
        removeAbandonedSaves(indexDir);
        this.builds = Executors.newFixedThreadPool(BUILDS, threads("prefetchd-index-build-"));
        this.scans = Executors.newFixedThreadPool(parallelism, threads("prefetchd-index-scan-"));
        this.indexer = DatasetIndexer.create(new ObjectStoreRangeSource(store), scans, parallelism, clock);
        Gauge.builder("prefetchd.datasets.indexed", byId, Map::size)
                .description("datasets registered and indexed").register(meters);
        this.objectsScanned = Counter.builder("prefetchd.datasets.objects.scanned")
                .description("objects whose metadata was read to index a dataset (new or changed ETag)")
                .register(meters);
        this.objectsReused = Counter.builder("prefetchd.datasets.objects.reused")
                .description("objects whose index was reused from the persisted index (unchanged ETag)")
                .register(meters);
    }

    private static ThreadFactory threads(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Registers the dataset at {@code exportPath} and waits for its index.
     *
     * @param exportPath the dataset inside the export ({@code imagefolder/train}; leading and trailing
     *     {@code /} are ignored; {@code ""} is the whole export); for WebDataset also one shard or a brace pattern
     * @param columns Parquet columns to index, empty for all (must be empty for other formats)
     * @throws DatasetException when the dataset is not in the bucket, has no samples, or none of its objects
     *     could be indexed; the message names it
     */
    public ServedDataset register(String exportPath, Format format, FileLayout layout, List<String> columns) {
        try {
            return registerAsync(exportPath, format, layout, columns).get();
        } catch (ExecutionException e) {
            throw unwrap(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DatasetException(DatasetException.Reason.UNAVAILABLE, "interrupted while indexing "
                    + exportPath, e);
        }
    }

    /** Registers a dataset of a user-facing {@link DatasetKind}; see {@link #register(String, Format, FileLayout, List)}. */
    public ServedDataset register(String exportPath, DatasetKind kind, List<String> columns) {
        return register(exportPath, kind.format(), kind.layout(), columns);
    }

    /**
     * {@link #register} without waiting: the future completes with the dataset or, exceptionally, with a
     * {@link DatasetException}. Cancelling the future does not stop the build (a later call joins it).
     *
     * @throws DatasetException (INVALID) at once for a malformed path or columns
     */
    public CompletableFuture<ServedDataset> registerAsync(String exportPath, Format format, FileLayout layout,
                                                          List<String> columns) {
        String path = normalizePath(requireNonNull(exportPath, "exportPath is null"));
        DatasetSpec spec;
        try {
            spec = new DatasetSpec(format, prefix + path, columns, format == Format.FILES ? layout
                    : FileLayout.SORTED);
        } catch (IllegalArgumentException e) {
            throw new DatasetException(DatasetException.Reason.INVALID, describe(format, layout, path) + ": "
                    + e.getMessage(), e);
        }
        List<CompletableFuture<ServedDataset>> created = new ArrayList<>(1);
        CompletableFuture<ServedDataset> f = bySpec.computeIfAbsent(spec, s -> {
            CompletableFuture<ServedDataset> fresh = new CompletableFuture<>();
            created.add(fresh);
            return fresh;
        });
        if (created.isEmpty()) {   // built, or being built by an earlier caller: join it
            return f.copy();
        }
        try {
            builds.execute(() -> {
                try {
                    f.complete(build(path, spec, null));
                } catch (RuntimeException e) {
                    bySpec.remove(spec, f);
                    f.completeExceptionally(e);
                }
            });
        } catch (RuntimeException e) {   // rejected: closed
            bySpec.remove(spec, f);
            f.completeExceptionally(new DatasetException(DatasetException.Reason.UNAVAILABLE,
                    "the gateway is shutting down: cannot index " + describe(format, layout, path), e));
        }
        return f.copy();
    }

    /**
     * Lists the dataset again and rebuilds its index if any object changed (new, gone, or another ETag); the
     * changed dataset replaces the old one and listeners are called with it. Completes with the current dataset.
     */
    public CompletableFuture<ServedDataset> reindex(String id) {
        ServedDataset old = byId.get(id);
        if (old == null) {
            return CompletableFuture.failedFuture(new DatasetException(DatasetException.Reason.NOT_FOUND,
                    "unknown dataset " + id));
        }
        try {
            return CompletableFuture.supplyAsync(() -> build(old.exportPath(), old.spec(), old), builds);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(new DatasetException(DatasetException.Reason.UNAVAILABLE,
                    "the gateway is shutting down: cannot reindex " + id, e));
        }
    }

    private ServedDataset build(String path, DatasetSpec spec, @Nullable ServedDataset previous) {
        String name = describe(spec.format(), spec.layout(), path);
        if (!exists(path)) {
            count("not_found");
            throw new DatasetException(DatasetException.Reason.NOT_FOUND, name + ": nothing at "
                    + where(path));
        }
        IndexBuild b;
        try {
            b = indexer.loadOrBuild(spec, indexes);
        } catch (IOException e) {
            count("unavailable");
            throw new DatasetException(DatasetException.Reason.UNAVAILABLE, name + ": cannot index "
                    + where(path) + ": " + e.getMessage(), e);
        }
        objectsScanned.increment(b.stats().objectsScanned());
        objectsReused.increment(b.stats().objectsReused());
        Timer.builder("prefetchd.datasets.index.build").tag("format", spec.format().cliName())
                .description("time to load, refresh or build a dataset's index").register(meters)
                .record(b.stats().elapsed());
        List<ObjectFailure> failures = b.failures();
        if (b.index().sampleCount() == 0) {
            if (!failures.isEmpty()) {
                count("unreadable");
                throw new DatasetException(DatasetException.Reason.UNREADABLE, name + ": none of its "
                        + failures.size() + " objects could be indexed; first: " + failures.get(0).message());
            }
            count("empty");
            throw new DatasetException(DatasetException.Reason.EMPTY, name + ": no samples at " + where(path)
                    + " (" + b.stats().objectsListed() + " " + spec.format().cliName() + " objects)");
        }
        for (int i = 0; i < Math.min(FAILURES_LOGGED, failures.size()); i++) {
            LOG.warn("dataset {}: left out of the index: {}", name, failures.get(i).message());
        }
        if (failures.size() > FAILURES_LOGGED) {
            LOG.warn("dataset {}: {} more objects left out of the index", name, failures.size() - FAILURES_LOGGED);
        }
        if (previous != null && previous.index().objects().equals(b.index().objects())) {
            return previous;   // nothing changed
        }
        ServedDataset d = new ServedDataset(idOf(spec), path, spec, b.index());
        byId.put(d.id(), d);
        if (previous != null) {
            bySpec.put(spec, CompletableFuture.completedFuture(d));
            pathTables.remove(d.id());
        }
        count(failures.isEmpty() ? "ok" : "partial");
        LOG.info("dataset {} is {}: {} samples in {} objects ({} bytes); {} objects scanned, {} reused, {} ms{}",
                d.id(), name, d.sampleCount(), b.index().objects().size(), b.index().totalBytes(),
                b.stats().objectsScanned(), b.stats().objectsReused(), b.stats().elapsed().toMillis(),
                failures.isEmpty() ? "" : "; " + failures.size() + " objects left out");
        synchronized (listeners) {
            for (Consumer<ServedDataset> l : listeners) {
                notify(l, d);
            }
        }
        return d;
    }

    private void count(String outcome) {
        Counter.builder("prefetchd.datasets.registrations").tag("outcome", outcome)
                .description("dataset index builds by outcome").register(meters).increment();
    }

    private static void notify(Consumer<ServedDataset> l, ServedDataset d) {
        try {
            l.accept(d);
        } catch (RuntimeException e) {
            LOG.error("a dataset listener failed on {} ({})", d.id(), d.exportPath(), e);
        }
    }

    /** The dataset with this id, once its index is ready. */
    public Optional<ServedDataset> byId(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    /** Every dataset whose index is ready, in no particular order. */
    public Collection<ServedDataset> all() {
        return List.copyOf(byId.values());
    }

    /**
     * Calls {@code listener} for every dataset already registered, then for each one registered from now on
     * (on the thread that built it). A listener must be quick and not call back into {@link #register}.
     */
    public void addListener(Consumer<ServedDataset> listener) {
        requireNonNull(listener, "listener is null");
        synchronized (listeners) {
            listeners.add(listener);
            for (ServedDataset d : byId.values()) {
                notify(listener, d);
            }
        }
    }

    /**
     * The sample of a file-per-sample dataset that is the file at {@code relativePath} (relative to the
     * dataset, {@code cat/0001.jpg}; a leading {@code ./} is ignored), or empty when the dataset has no such
     * sample. The first call for a dataset builds a path table (a hash map of its keys).
     *
     * @throws IllegalArgumentException when the dataset is not file-per-sample or not registered
     */
    public OptionalLong sampleOf(String id, String relativePath) {
        ServedDataset d = byId(id).orElseThrow(() -> new IllegalArgumentException("unknown dataset " + id));
        if (d.spec().format() != Format.FILES) {
            throw new IllegalArgumentException("dataset " + id + " (" + d.spec().format().cliName() + " at '"
                    + d.exportPath() + "') is not one file per sample");
        }
        Map<String, Integer> table = pathTables.computeIfAbsent(id, k -> pathTable(d));
        String rel = relativePath;
        while (rel.startsWith("./")) {
            rel = rel.substring(2);
        }
        Integer sample = table.get(rel);
        return sample == null ? OptionalLong.empty() : OptionalLong.of(sample);
    }

    private static Map<String, Integer> pathTable(ServedDataset d) {
        String location = d.spec().location();
        String folder = location.isEmpty() || location.endsWith("/") ? location : location + "/";
        int n = Math.toIntExact(d.sampleCount());
        Map<String, Integer> table = new HashMap<>(Math.max(16, n * 4 / 3 + 1));
        for (int i = 0; i < n; i++) {
            String key = d.index().key(i);
            table.put(key.startsWith(folder) ? key.substring(folder.length()) : key, i);
        }
        return table;
    }

    /**
     * The longest trailing part of {@code mountedPath} (a path as a client sees it, e.g.
     * {@code /mnt/data/imagefolder/train}) that exists in the export: {@code imagefolder/train} when the export
     * root is mounted at {@code /mnt/data}. Empty when no trailing part exists.
     *
     * @throws DatasetException (UNAVAILABLE) when the store cannot be asked
     */
    public Optional<String> exportPathOf(String mountedPath) {
        List<String> parts = new ArrayList<>();
        for (String p : mountedPath.split("/")) {
            if (!p.isEmpty() && !p.equals(".")) {
                parts.add(p);
            }
        }
        for (int i = 0; i < parts.size(); i++) {
            String candidate = String.join("/", parts.subList(i, parts.size()));
            if (!candidate.contains("..") && exists(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** True when {@code path} (in the export) is an object or a non-empty folder; a brace pattern is not checked. */
    private boolean exists(String path) {
        try {
            if (path.isEmpty()) {
                return nonEmpty(store.list(prefix, "/", null, 1));
            }
            if (path.contains("{")) {
                return nonEmpty(store.list(prefix + path.substring(0, path.indexOf('{')), "/", null, 1));
            }
            return store.head(prefix + path).isPresent() || nonEmpty(store.list(prefix + path + "/", "/", null, 1));
        } catch (ObjectStoreException e) {
            throw new DatasetException(DatasetException.Reason.UNAVAILABLE, "cannot look up " + where(path) + ": "
                    + e.getMessage(), e);
        }
    }

    private static boolean nonEmpty(ListPage page) {
        return !page.objects().isEmpty() || !page.commonPrefixes().isEmpty();
    }

    private String where(String path) {
        return "s3://" + store.bucket() + "/" + prefix + path;
    }

    /**
     * Parses configured datasets ({@code FORMAT:PATH}, e.g. {@code webdataset:webdataset}) and starts indexing
     * each in the background. A dataset that fails to index logs one line and is skipped.
     *
     * @throws IllegalArgumentException naming the entry when one is malformed (nothing is started then)
     */
    public List<CompletableFuture<ServedDataset>> registerConfigured(List<String> entries) {
        record Entry(String text, DatasetKind kind, String path) {
        }
        List<Entry> parsed = new ArrayList<>();
        for (String e : entries) {
            int colon = e.indexOf(':');
            Optional<DatasetKind> kind = colon < 0 ? Optional.empty() : DatasetKind.byName(e.substring(0, colon));
            if (kind.isEmpty()) {
                throw new IllegalArgumentException("dataset '" + e + "' is not FORMAT:PATH with FORMAT one of "
                        + DatasetKind.NAMES);
            }
            parsed.add(new Entry(e, kind.get(), e.substring(colon + 1)));
        }
        List<CompletableFuture<ServedDataset>> out = new ArrayList<>();
        for (Entry e : parsed) {
            CompletableFuture<ServedDataset> f;
            try {
                f = registerAsync(e.path(), e.kind().format(), e.kind().layout(), List.of());
            } catch (DatasetException x) {
                f = CompletableFuture.failedFuture(x);
            }
            f.whenComplete((d, x) -> {
                if (x != null) {
                    LOG.error("configured dataset '{}' is not served: {}", e.text(), unwrap(x).getMessage());
                }
            });
            out.add(f);
        }
        return out;
    }

    /** Stops indexing: builds in progress or queued fail with UNAVAILABLE, so that no caller waits for ever. */
    @Override
    public void close() {
        builds.shutdownNow();
        scans.shutdownNow();
        for (CompletableFuture<ServedDataset> f : bySpec.values()) {
            f.completeExceptionally(new DatasetException(DatasetException.Reason.UNAVAILABLE,
                    "the gateway is shutting down: indexing stopped"));
        }
        try {
            builds.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String idOf(DatasetSpec spec) {
        String canonical = spec.format().cliName() + "\n" + spec.location() + "\n" + String.join("\n",
                spec.columns()) + "\n" + spec.layout();
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
            return "ds-" + HexFormat.of().formatHex(h, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static String describe(Format format, FileLayout layout, String path) {
        String kind = format == Format.FILES && layout == FileLayout.IMAGE_FOLDER ? "imagefolder" : format.cliName();
        return kind + " '" + path + "'";
    }

    /** No leading or trailing '/', no empty or "." parts; ".." is refused. */
    static String normalizePath(String path) {
        List<String> parts = new ArrayList<>();
        for (String p : path.split("/")) {
            if (p.equals("..")) {
                throw new DatasetException(DatasetException.Reason.INVALID, "path '" + path + "' has '..'");
            }
            if (!p.isEmpty() && !p.equals(".")) {
                parts.add(p);
            }
        }
        return String.join("/", parts);
    }

    /** The prefix as S3FileSystem spells it: no leading '/', one trailing '/' unless empty. */
    private static String normalizePrefix(String p) {
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        return p.isEmpty() || p.endsWith("/") ? p : p + "/";
    }

    /** The DatasetException inside a CompletionException or ExecutionException, or one wrapping {@code e}. */
    public static DatasetException unwrap(Throwable e) {
        Throwable t = e;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof DatasetException d) {
            return d;
        }
        return new DatasetException(DatasetException.Reason.UNAVAILABLE, String.valueOf(t.getMessage()), t);
    }
}
