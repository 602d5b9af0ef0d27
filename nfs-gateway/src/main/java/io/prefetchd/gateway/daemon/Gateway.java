package io.prefetchd.gateway.daemon;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.prefetchd.planner.units.Sizes;
import io.prefetchd.gateway.cache.DiskExtentCache;
import io.prefetchd.gateway.cache.ExtentCache;
import io.prefetchd.gateway.fleet.Fleet;
import io.prefetchd.gateway.fleet.FleetSettings;
import io.prefetchd.gateway.fleet.HandoverStore;
import io.prefetchd.gateway.fs.MetadataSettings;
import io.prefetchd.gateway.fs.Owner;
import io.prefetchd.gateway.fs.S3FileSystem;
import io.prefetchd.gateway.fs.VirtualFileSystem;
import io.prefetchd.gateway.fs.staging.StagingSettings;
import io.prefetchd.gateway.fs.staging.WritableFileSystem;
import io.prefetchd.gateway.hints.Planning;
import io.prefetchd.gateway.nfs.access.AccessControl;
import io.prefetchd.gateway.nfs.access.ExportTable;
import io.prefetchd.gateway.nfs.access.FileOwnership;
import io.prefetchd.gateway.nfs.rpc.Nfs4RpcService;
import io.prefetchd.gateway.nfs.rpc.NfsServer;
import io.prefetchd.gateway.nfs.v4.AttributeEncoder;
import io.prefetchd.gateway.nfs.v4.CompoundProcessor;
import io.prefetchd.gateway.nfs.v4.FileHandles;
import io.prefetchd.gateway.nfs.v4.Nfs4Services;
import io.prefetchd.gateway.nfs.v4.NfsLimits;
import io.prefetchd.gateway.nfs.v4.NfsMetrics;
import io.prefetchd.gateway.datasets.DatasetLookup;
import io.prefetchd.gateway.hints.EpochsInForce;
import io.prefetchd.gateway.fs.ReadObserver;
import io.prefetchd.gateway.nfs.v4.state.NfsState;
import io.prefetchd.gateway.prefetch.PrefetchExecutor;
import io.prefetchd.gateway.prefetch.PrefetchSettings;
import io.prefetchd.planner.HintSink;
import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.s3.ObjectStoreException;
import io.prefetchd.gateway.s3.Reachability;
import io.prefetchd.gateway.s3.S3ObjectStore;
import io.prefetchd.gateway.s3.S3Settings;
import io.prefetchd.gateway.s3.UploadSettings;
import io.prefetchd.tracer.AccessTracer;
import io.prefetchd.tracer.TracerConfig;
import io.prefetchd.tracer.TracerListener;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * The assembled read path: S3 store, extent cache, file system view, NFS state and the NFS listener. Built from a
 * {@link GatewayConfig} without Micronaut, so tests assemble it directly; the daemon wraps it in a bean.
 */
public final class Gateway implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);
    /**
     * Metadata requests to S3 at once: background refreshes, listing prefetches, and the HEADs and LISTs of LOOKUP,
     * GETATTR, OPEN and READDIR misses, which wait here rather than on NFS workers.
     */
    private static final int METADATA_THREADS = 16;

    private final ObjectStore store;
    private final ExtentCache cache;
    private final S3FileSystem fs;
    /** Threads of metadata refreshes: stopped at close. */
    private final List<ExecutorService> metadata;
    private final NfsState state;
    private final NfsServer server;
    private final ScheduledExecutorService reaper;
    private final String export;
    private final AccessTracer tracer;
    private final @Nullable PrefetchExecutor prefetcher;
    private final Naming naming;
    private final ReadObserver readObserver;
    /** The staged writes laid over {@link #fs}, or null when writes are off. */
    private final @Nullable WritableFileSystem writes;
    /** Who may mount, and as whom files appear: the NFS server's, shared with the S3 endpoint. */
    private final AccessControl access;

    /**
     * How READs are named in traces: the served datasets by object (fed by the dataset registry) and the hinted
     * epochs in force (fed by the hint service).
     */
    public record Naming(DatasetLookup datasets, EpochsInForce epochsInForce) {
    }

    private Gateway(ObjectStore store, ExtentCache cache, S3FileSystem fs, List<ExecutorService> metadata, NfsState state,
                    NfsServer server, ScheduledExecutorService reaper, String export, AccessTracer tracer,
                    @Nullable PrefetchExecutor prefetcher, Naming naming, ReadObserver readObserver,
                    @Nullable WritableFileSystem writes,
                    AccessControl access) {
        this.access = access;
        this.naming = naming;
        this.readObserver = readObserver;
        this.writes = writes;
        this.fs = fs;
        this.metadata = metadata;
        this.tracer = tracer;
        this.prefetcher = prefetcher;
        this.store = store;
        this.cache = cache;
        this.state = state;
        this.server = server;
        this.reaper = reaper;
        this.export = export;
    }

    /** Connects to S3 as configured and starts serving. */
    public static Gateway start(GatewayConfig c, MeterRegistry registry, Clock clock) {
        GatewayConfig.S3 s3 = c.getS3();
        if (s3.getBucket().isBlank()) {
            throw new StartupException("no bucket configured: pass --bucket NAME (or PREFETCHD_S3_BUCKET)");
        }
        ObjectStore store = openStore(s3, registry);
        try {
            return start(c, store, registry, clock);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /**
     * The S3 store these settings name: endpoint (empty = AWS), region, path style, bounds, and static keys
     * when given, else the AWS default credential chain.
     */
    static ObjectStore openStore(GatewayConfig.S3 s3, MeterRegistry registry) {
        URI endpoint = s3.getEndpoint().isBlank() ? null : URI.create(s3.getEndpoint());
        S3Settings settings = new S3Settings(endpoint, s3.getRegion(), s3.getBucket(), s3.isPathStyle(),
                s3.getMaxConcurrency(), s3.getMaxAttempts(), s3.getApiCallTimeout(), s3.getConnectTimeout(),
                s3.getReadTimeout())
                .withUploads(UploadSettings.defaults().withConcurrency(s3.getUploadConcurrency()));
        return s3.getAccessKey().isBlank()
                ? S3ObjectStore.create(settings, registry)
                : S3ObjectStore.create(settings, registry, StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(s3.getAccessKey(), s3.getSecretKey())));
    }

    /** Whether an earlier run left a cache or staged writes behind, which the gateway can serve without S3. */
    private static boolean hasEarlierRun(GatewayConfig c, Path stateDir, Path cacheDir) {
        Path staging = c.getWrite().getStagingDir().isBlank() ? stateDir.resolve("staging")
                : Path.of(c.getWrite().getStagingDir());
        return notEmpty(cacheDir) || notEmpty(staging);
    }

    private static boolean notEmpty(Path dir) {
        try (var entries = Files.list(dir)) {
            return entries.findAny().isPresent();
        } catch (IOException e) {
            return false;   // missing or unreadable: nothing to serve from it
        }
    }

    /** Serves {@code store} (owned by the gateway from now on) as configured. */
    public static Gateway start(GatewayConfig c, ObjectStore store, MeterRegistry registry, Clock clock) {
        return start(c, store, registry, clock, PrefetchExecutor.PlannerFactory.LEARNED);
    }

    /** As {@link #start(GatewayConfig, ObjectStore, MeterRegistry, Clock)}, with planners from {@code planners}. */
    public static Gateway start(GatewayConfig c, ObjectStore store, MeterRegistry registry, Clock clock,
                                PrefetchExecutor.PlannerFactory planners) {
        requireNonNull(store, "store is null");
        validate(c.getNfs());
        // whether the export takes writes is decided once: it sets the modes' defaults of the one AccessControl
        AccessControl access = accessControl(c.getAccess(), c.getWrite().isEnabled(), registry);
        // one spelling of the prefix ("data", "/data", "data/" alike), so file handles do not depend on it
        String prefix = S3FileSystem.normalizePrefix(c.getS3().getPrefix());
        String export = "s3://" + store.bucket() + "/" + prefix;
        String where = export + (c.getS3().getEndpoint().isBlank() ? "" : " at " + c.getS3().getEndpoint());
        Path stateDir = Path.of(c.getStateDir());
        Path cacheDir = c.getCache().getDir().isBlank() ? stateDir.resolve("cache") : Path.of(c.getCache().getDir());
        try {
            store.list(prefix, "/", null, 1);
        } catch (ObjectStoreException e) {
            // a gateway restarted during an S3 outage still serves what it cached and keeps its staged writes;
            // a first start that cannot reach S3 is a wrong endpoint far more often than an outage
            if (e.kind() != ObjectStoreException.Kind.UNREACHABLE || !hasEarlierRun(c, stateDir, cacheDir)) {
                throw new StartupException("cannot list " + where + ": " + rootMessage(e), e);
            }
            LOG.warn("S3 does not answer ({}: {}); starting from the last run's state in {}: staged writes are "
                    + "kept and uploaded once S3 answers, and what needs S3 fails with EIO until then", where,
                    rootMessage(e), stateDir);
        }
        try {
            Files.createDirectories(stateDir);
            Files.createDirectories(cacheDir);
        } catch (IOException e) {
            throw new StartupException("cannot create state folder " + stateDir + ": " + e.getMessage(), e);
        }
        long capacity = Sizes.parse(c.getCache().getSize());
        HandoverStore cacheStore = new HandoverStore(store);   // S3, and in a fleet moved grains' previous owners
        ExtentCache cache = DiskExtentCache.open(cacheDir, capacity, c.getCache().getGrain(), cacheStore, registry,
                clock);
        try {
            cache = joinFleet(c.getFleet(), cache, cacheStore, registry, clock);
        } catch (RuntimeException e) {
            cache.close();
            throw e;
        }
        try {
            return assemble(c, store, cache, registry, clock, prefix, export, stateDir, planners, access);
        } catch (RuntimeException e) {
            cache.close();
            throw e;
        }
    }

    /**
     * The fleet's view of {@code local} when {@code prefetchd.fleet.members} is set (this gateway joins the fleet),
     * else {@code local} itself.
     */
    static ExtentCache joinFleet(GatewayConfig.Fleet f, ExtentCache local, HandoverStore store, MeterRegistry registry,
                                 Clock clock) {
        if (f.getMembers() == null || f.getMembers().stream().allMatch(String::isBlank)) {
            return local;
        }
        FleetSettings settings;
        try {
            settings = new FleetSettings(f.getName(), f.getBind(), f.getPort(), f.getMembers(), f.getPeerPort(),
                    f.getPeerTimeout(), f.getFailureTimeout(), f.getHandoverWindow());
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new StartupException("bad prefetchd.fleet setting: " + e.getMessage(), e);
        }
        try {
            return Fleet.join(settings, local, store, registry, clock).cache();
        } catch (RuntimeException e) {
            throw new StartupException("cannot join fleet " + f.getName() + " on " + f.getBind() + ":" + f.getPort()
                    + ": " + rootMessage(e), e);
        }
    }

    static void validate(GatewayConfig.Nfs n) {
        if (n.getMaxRead() < 4096 || n.getMaxRead() > (16 << 20)) {
            throw new StartupException("prefetchd.nfs.max-read must be between 4096 and 16777216, not " + n.getMaxRead());
        }
        if (n.getWorkers() < 1) {
            throw new StartupException("prefetchd.nfs.workers must be at least 1, not " + n.getWorkers());
        }
        if (n.getLeaseTime().toSeconds() < 10) {
            throw new StartupException("prefetchd.nfs.lease-time must be at least 10s, not " + n.getLeaseTime());
        }
        if (n.getPort() < 0 || n.getPort() > 65535) {
            throw new StartupException("prefetchd.nfs.port must be a TCP port, not " + n.getPort());
        }
        if (n.getMaxRecordSize() < (64 << 10)) {
            throw new StartupException("prefetchd.nfs.max-record-size must be at least 65536, not "
                    + n.getMaxRecordSize());
        }
        if (n.getIdleTimeout().compareTo(n.getLeaseTime()) < 0) {
            throw new StartupException("prefetchd.nfs.idle-timeout (" + n.getIdleTimeout()
                    + ") must be at least the lease time (" + n.getLeaseTime() + "): idle clients renew within it");
        }
    }

    private static Gateway assemble(GatewayConfig c, ObjectStore store, ExtentCache cache, MeterRegistry registry,
                                    Clock clock, String prefix, String export, Path stateDir,
                                    PrefetchExecutor.PlannerFactory planners, AccessControl access) {
        FileHandles handles = new FileHandles(store.bucket() + "/" + prefix, stateDir);
        GatewayConfig.Nfs n = c.getNfs();
        MetadataSettings metadata;
        try {
            metadata = new MetadataSettings(n.getAttributeTtl(), n.getMaxStale(), n.getDatasetRefresh(),
                    Sizes.parse(n.getListingCacheSize()));
        } catch (IllegalArgumentException e) {
            throw new StartupException("bad prefetchd.nfs metadata setting: " + e.getMessage(), e);
        }
        ExecutorService refresher = Executors.newFixedThreadPool(METADATA_THREADS, r -> {
            Thread t = new Thread(r, "prefetchd-metadata-refresh");
            t.setDaemon(true);
            return t;
        });
        S3FileSystem fs = new S3FileSystem(store, prefix, cache, handles::fileId, metadata, clock, refresher,
                registry);
        ExecutorService uploadCompletions = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "prefetchd-upload-completions");
            t.setDaemon(true);
            return t;
        });
        WritableFileSystem writes;
        try {
            writes = c.getWrite().isEnabled() ? openWrites(c, fs, store, cache, handles::fileId, stateDir, access,
                    metadata, clock, uploadCompletions, registry) : null;
        } catch (RuntimeException e) {
            uploadCompletions.shutdownNow();
            refresher.shutdownNow();
            throw e;
        }
        VirtualFileSystem served = writes != null ? writes : fs;
        NfsState state = new NfsState(clock, n.getLeaseTime());
        NfsLimits defaults = NfsLimits.defaults();
        // a session never promises requests larger than a record may be (the record's 4-byte header aside)
        int maxRequest = Math.min(Math.max(defaults.maxRequestSize(), n.getMaxRead() + 65536),
                n.getMaxRecordSize() - 4);
        NfsLimits limits = new NfsLimits(n.getMaxRead(), maxRequest,
                Math.max(defaults.maxResponseSize(), n.getMaxRead() + 65536), defaults.maxResponseSizeCached(),
                defaults.maxOperations(), defaults.maxRequests());
        AttributeEncoder attributes = new AttributeEncoder(handles, served, n.getLeaseTime(), limits,
                access.ownership());
        byte[] owner = ("prefetchd:" + export).getBytes(StandardCharsets.UTF_8);
        AccessTracer tracer = startTracer(c.getTracer(), stateDir, registry);
        PrefetchExecutor prefetcher = c.getPlanner().isEnabled()
                ? PrefetchExecutor.start(cache, prefetchSettings(c.getPlanner()), registry, System::nanoTime,
                planners) : null;
        if (prefetcher != null) { // in a fleet, planners plan for the fleet's cache and see its members' reads
            Fleet.of(cache).ifPresent(f -> f.planWith(prefetcher));
        }
        DatasetLookup datasets = new DatasetLookup();
        EpochsInForce inForce = new EpochsInForce();
        ReadObserver observer = ReadObserver.both(
                c.getTracer().isEnabled() ? new TracingReadObserver(tracer, fs, datasets, inForce) : ReadObserver.NONE,
                prefetcher != null ? new PrefetchReadObserver(prefetcher, fs) : ReadObserver.NONE);
        Nfs4Services services = new Nfs4Services(served, handles, state, attributes, limits, clock,
                owner.length > 1024 ? java.util.Arrays.copyOf(owner, 1024) : owner, observer, access);
        NfsMetrics metrics = new NfsMetrics(registry);
        metrics.watch(state);
        NfsServer server;
        try {
            ExecutorService workers = NfsServer.workerPool(n.getWorkers());
            server = new NfsServer(n.getBind(), n.getPort(), workers,
                    new NfsServer.ConnectionLimits(n.getMaxRecordSize(), n.getIdleTimeout()),
                    new Nfs4RpcService(new CompoundProcessor(services, metrics, workers), metrics), metrics).start();
        } catch (RuntimeException e) {
            tracer.close();
            refresher.shutdownNow();
            uploadCompletions.shutdownNow();
            if (writes != null) {
                writes.close();
            }
            if (prefetcher != null) {
                prefetcher.close();
            }
            throw new StartupException("cannot listen for NFS on " + n.getBind() + ":" + n.getPort() + ": "
                    + rootMessage(e), e);
        }
        ScheduledExecutorService reaper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "prefetchd-lease-reaper");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(1, n.getLeaseTime().toSeconds() / 2);
        reaper.scheduleAtFixedRate(() -> {
            state.expireClients();
            services.releaseClosedWriters();   // writers whose lease ran out
        }, period, period, TimeUnit.SECONDS);
        // on a thread of its own: a bulk listing of a large dataset must not hold up lease expiry
        ScheduledExecutorService datasetRefresh = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "prefetchd-dataset-refresh");
            t.setDaemon(true);
            return t;
        });
        datasetRefresh.scheduleWithFixedDelay(fs::refreshDatasets, 1, 1, TimeUnit.SECONDS);
        List<ExecutorService> background = new java.util.ArrayList<>(List.of(refresher, datasetRefresh,
                uploadCompletions));
        if (writes != null) {
            ScheduledExecutorService uploads = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "prefetchd-uploads");
                t.setDaemon(true);
                return t;
            });
            uploads.scheduleWithFixedDelay(() -> {
                try {
                    writes.runUploads();
                } catch (RuntimeException e) {
                    LOG.error("starting uploads failed: {}", e.toString(), e);
                }
            }, 200, 200, TimeUnit.MILLISECONDS);
            background.add(uploads);
        }
        LOG.info("serving {} over NFSv4.1/4.0 on {}:{} to {}{}", export, n.getBind(), server.port(),
                access.exports(), writes == null ? ", read-only (prefetchd.write.enabled=false)"
                        : ", read-write: writes staged on local disk (up to " + c.getWrite().getStagingSize()
                        + ") and uploaded when closed");
        return new Gateway(store, cache, fs, background, state, server, reaper, export, tracer,
                prefetcher, new Naming(datasets, inForce), observer, writes, access);
    }

    /** The staging area and the writable file system of {@code prefetchd.write.*}, over {@code fs}. */
    private static WritableFileSystem openWrites(GatewayConfig c, S3FileSystem fs, ObjectStore store, ExtentCache cache,
                                                 java.util.function.ToLongFunction<io.prefetchd.gateway.fs.Inode> ids,
                                                 Path stateDir, AccessControl access, MetadataSettings metadata,
                                                 Clock clock, ExecutorService completions, MeterRegistry registry) {
        GatewayConfig.Write w = c.getWrite();
        Path dir = w.getStagingDir().isBlank() ? stateDir.resolve("staging") : Path.of(w.getStagingDir());
        StagingSettings settings;
        try {
            StagingSettings d = StagingSettings.defaults(dir, Sizes.parse(w.getStagingSize()));
            settings = new StagingSettings(dir, d.capacityBytes(), w.getUploadDelay(), w.getCommitQuiet(),
                    w.getMaxRenameKeys(), w.getUploadConcurrency(), d.minBackoff(), d.maxBackoff(),
                    Sizes.parse(w.getStreamingPartSize()));
            if (settings.streamingPartSize() > 0 && settings.streamingPartSize() < UploadSettings.S3_MIN_PART) {
                throw new IllegalArgumentException("streaming-part-size must be 0 (off) or at least 5MiB (S3's "
                        + "smallest part): " + w.getStreamingPartSize());
            }
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new StartupException("bad prefetchd.write setting: " + e.getMessage(), e);
        }
        FileOwnership o = access.ownership();
        try {
            return WritableFileSystem.open(fs, store, cache, ids, settings,
                    new Owner(o.uid(), o.gid(), o.fileMode() & 07777), new Owner(o.uid(), o.gid(), o.dirMode() & 07777),
                    metadata.ttl().multipliedBy(2).plusMinutes(1), clock, completions, registry);
        } catch (RuntimeException e) {
            throw new StartupException("cannot open the staging area " + dir + ": " + rootMessage(e), e);
        }
    }

    /**
     * The export table and ownership of {@code prefetchd.access.*}, or a StartupException naming the setting. Modes
     * left unset are 0444 for files and 0555 for directories on a read-only gateway, 0666 and 0777 on one that takes
     * writes ({@code writable}), since S3 objects carry no modes of their own and any admitted user may then write
     * them, as on a bucket.
     */
    static AccessControl accessControl(GatewayConfig.Access a, boolean writable, MeterRegistry registry) {
        ExportTable exports;
        try {
            exports = ExportTable.parse(a.getExports());
        } catch (IllegalArgumentException e) {
            throw new StartupException("prefetchd.access.exports: " + e.getMessage(), e);
        }
        FileOwnership ownership;
        try {
            ownership = new FileOwnership(a.getUid(), a.getGid(),
                    mode("file-mode", a.getFileMode(), writable ? 0666 : 0444),
                    mode("dir-mode", a.getDirMode(), writable ? 0777 : 0555));
        } catch (IllegalArgumentException e) {
            throw new StartupException("prefetchd.access: " + e.getMessage(), e);
        }
        return new AccessControl(exports, ownership, registry);
    }

    private static int mode(String key, String octal, int unset) {
        return octal == null || octal.isBlank() ? unset : mode(key, octal);
    }

    private static int mode(String key, String octal) {
        if (octal == null || !octal.trim().matches("[0-7]{1,4}")) {
            throw new StartupException("prefetchd.access." + key + " must be an octal mode such as 0444, not '"
                    + octal + "'");
        }
        return Integer.parseInt(octal.trim(), 8);
    }

    static PrefetchSettings prefetchSettings(GatewayConfig.Planner p) {
        PrefetchSettings d = PrefetchSettings.defaults();
        try {
            return new PrefetchSettings(p.getCacheShare(), p.getMaxPrefetches(), Sizes.parse(p.getMaxPrefetchBytes()),
                    p.getStoreLatency(), Sizes.parse(p.getStoreBandwidth()), Sizes.parse(p.getReadRate()), d.tick(),
                    p.getIdleGap(), d.maxBackoff());
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new StartupException("bad prefetchd.planner setting: " + e.getMessage(), e);
        }
    }

    private static AccessTracer startTracer(GatewayConfig.Tracer t, Path stateDir, MeterRegistry registry) {
        if (!t.isEnabled()) {
            return AccessTracer.disabled();
        }
        AccessTracer tracer;
        try {
            tracer = AccessTracer.start(TracerConfig.defaults(stateDir)
                    .withRetentionBytes(Sizes.parse(t.getRetention()))
                    .withFlushInterval(t.getFlushInterval())
                    .withIdleGap(t.getIdleGap()), TracerListener.NONE);
        } catch (RuntimeException e) {
            throw new StartupException("cannot start the access tracer: " + rootMessage(e), e);
        }
        FunctionCounter.builder("prefetchd.tracer.dropped", tracer, x -> x.stats().dropped())
                .description("trace records dropped because the tracer's buffer was full").register(registry);
        FunctionCounter.builder("prefetchd.tracer.written", tracer, x -> x.stats().written())
                .description("trace records written to trace files").register(registry);
        return tracer;
    }

    /** The innermost cause's message, cut to one readable line. */
    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        if (m == null) {
            return t.getClass().getSimpleName();
        }
        if (m.startsWith("Unable to load credentials from any of the providers")) {
            return "no AWS credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, "
                    + "or run with an instance/container role)";
        }
        m = m.replace('\n', ' ');
        return m.length() > 300 ? m.substring(0, 300) + "..." : m;
    }

    public int nfsPort() {
        return server.port();
    }

    public String export() {
        return export;
    }

    public ExtentCache cache() {
        return cache;
    }

    /** The fleet this gateway is a member of, or empty when {@code prefetchd.fleet.members} is not set. */
    public Optional<Fleet> fleet() {
        return Fleet.of(cache);
    }

    /** The bucket the gateway serves (owned by the gateway: do not close). */
    public ObjectStore store() {
        return store;
    }

    public AccessTracer tracer() {
        return tracer;
    }

    /** What every read of the file system is told to (tracer, prefetch executor): the S3 endpoint reads through it. */
    public ReadObserver readObserver() {
        return readObserver;
    }

    /** Where the registry and the hint service tell the read path how to name READs in traces. */
    public Naming naming() {
        return naming;
    }

    /** Whether S3 answers (empty for stores without a circuit breaker, such as in-memory ones). */
    public Optional<Reachability.State> s3Reachability() {
        return store instanceof S3ObjectStore s ? Optional.of(s.reachability().state()) : Optional.empty();
    }

    /** The staged writes and their uploads, or empty when writes are off. */
    public Optional<WritableFileSystem> writes() {
        return Optional.ofNullable(writes);
    }

    /** The file system view: where datasets' names are pinned. */
    public S3FileSystem fileSystem() {
        return fs;
    }

    /** What clients are served: the staged writes over {@link #fileSystem()} when writes are on, else it alone. */
    /** The export table and file ownership NFS clients are held to (the S3 endpoint applies the same). */
    public AccessControl access() {
        return access;
    }

    public VirtualFileSystem served() {
        return writes != null ? writes : fs;
    }

    public NfsState state() {
        return state;
    }

    /** The prefetch executor, or null when the planner is off. */
    public @Nullable PrefetchExecutor prefetcher() {
        return prefetcher;
    }

    /** Where hint orders go: the prefetch executor, or nowhere when the planner is off. */
    public Planning planning() {
        return prefetcher != null ? prefetcher : Planning.forwardingTo(HintSink.NONE);
    }

    @Override
    public void close() {
        reaper.shutdownNow();
        metadata.forEach(ExecutorService::shutdownNow);
        try {
            server.close();
            if (prefetcher != null) {
                prefetcher.close(); // before the cache: its GETs in flight land while the cache drains
            }
            tracer.close();   // after the server: every READ answered is in the trace
            if (writes != null) {
                writes.close();   // staged files stay on disk and are uploaded at the next start
            }
        } finally {
            try {
                cache.close();
            } finally {
                store.close();
            }
        }
    }
}
