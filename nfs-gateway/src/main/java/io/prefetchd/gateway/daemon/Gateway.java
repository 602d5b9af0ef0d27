package io.prefetchd.gateway.daemon;

import io.micrometer.core.instrument.MeterRegistry;
import io.prefetchd.gateway.cache.ExtentCache;
import io.prefetchd.gateway.datasets.DatasetLookup;
import io.prefetchd.gateway.fleet.Fleet;
import io.prefetchd.gateway.fs.ReadObserver;
import io.prefetchd.gateway.fs.S3FileSystem;
import io.prefetchd.gateway.fs.VirtualFileSystem;
import io.prefetchd.gateway.fs.staging.WritableFileSystem;
import io.prefetchd.gateway.hints.EpochsInForce;
import io.prefetchd.gateway.hints.Planning;
import io.prefetchd.gateway.nfs.access.AccessControl;
import io.prefetchd.gateway.nfs.rpc.NfsServer;
import io.prefetchd.gateway.nfs.v4.state.NfsState;
import io.prefetchd.gateway.prefetch.PrefetchExecutor;
import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.s3.Reachability;
import io.prefetchd.gateway.s3.S3ObjectStore;
import io.prefetchd.planner.HintSink;
import io.prefetchd.tracer.AccessTracer;
import org.jspecify.annotations.Nullable;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;

import static java.util.Objects.requireNonNull;

/**
 * The running NFS gateway: the S3 store, the extent cache, the file system view (with staged writes over it when
 * writes are on), the tracer and prefetch executor every read is told to, NFS state and the NFS listener, and the
 * order they close in. {@link GatewayAssembly} builds it, for the daemon's {@link Assembly} or, through
 * {@link #start}, for tests and benchmarks without Micronaut.
 */
public final class Gateway implements AutoCloseable {
    /**
     * How long a stop waits for uploads in flight to land and be recorded; what is still going up then stays staged
     * and goes up at the next start.
     */
    static final Duration UPLOAD_DRAIN = Duration.ofSeconds(10);

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

    /** The parts {@link GatewayAssembly} built, owned by the gateway from now on. */
    Gateway(ObjectStore store, ExtentCache cache, S3FileSystem fs, List<ExecutorService> metadata, NfsState state,
            NfsServer server, ScheduledExecutorService reaper, String export, AccessTracer tracer,
            @Nullable PrefetchExecutor prefetcher, Naming naming, ReadObserver readObserver,
            @Nullable WritableFileSystem writes, AccessControl access) {
        this.store = requireNonNull(store, "store is null");
        this.cache = requireNonNull(cache, "cache is null");
        this.fs = requireNonNull(fs, "fs is null");
        this.metadata = List.copyOf(metadata);
        this.state = requireNonNull(state, "state is null");
        this.server = requireNonNull(server, "server is null");
        this.reaper = requireNonNull(reaper, "reaper is null");
        this.export = requireNonNull(export, "export is null");
        this.tracer = requireNonNull(tracer, "tracer is null");
        this.prefetcher = prefetcher;
        this.naming = requireNonNull(naming, "naming is null");
        this.readObserver = requireNonNull(readObserver, "readObserver is null");
        this.writes = writes;
        this.access = requireNonNull(access, "access is null");
    }

    /**
     * The NFS gateway alone, connected to S3 as configured, built as the daemon's {@link Assembly} builds it (for
     * tests and benchmarks that need no hint API, reports or HTTP).
     */
    public static Gateway start(GatewayConfig c, MeterRegistry registry, Clock clock) {
        GatewayAssembly.requireBucket(c.getS3());
        DaemonSettings settings = DaemonSettings.of(c);
        ObjectStore store = GatewayAssembly.openStore(c.getS3(), registry);
        try {
            return start(settings, store, registry, clock, PrefetchExecutor.PlannerFactory.LEARNED);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** Serves {@code store} (owned by the gateway from now on) as configured. */
    public static Gateway start(GatewayConfig c, ObjectStore store, MeterRegistry registry, Clock clock) {
        return start(c, store, registry, clock, PrefetchExecutor.PlannerFactory.LEARNED);
    }

    /** As {@link #start(GatewayConfig, ObjectStore, MeterRegistry, Clock)}, with planners from {@code planners}. */
    public static Gateway start(GatewayConfig c, ObjectStore store, MeterRegistry registry, Clock clock,
                                PrefetchExecutor.PlannerFactory planners) {
        return start(DaemonSettings.of(c), store, registry, clock, planners);
    }

    private static Gateway start(DaemonSettings settings, ObjectStore store, MeterRegistry registry, Clock clock,
                                 PrefetchExecutor.PlannerFactory planners) {
        return GatewayAssembly.start(settings, store, registry, clock, System::nanoTime, planners);
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

    /** The export table and file ownership NFS clients are held to (the S3 endpoint applies the same). */
    public AccessControl access() {
        return access;
    }

    /** What clients are served: the staged writes over {@link #fileSystem()} when writes are on, else it alone. */
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
        if (writes != null) {   // while the threads that record an upload's end still run
            writes.drainUploads(UPLOAD_DRAIN);
        }
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
