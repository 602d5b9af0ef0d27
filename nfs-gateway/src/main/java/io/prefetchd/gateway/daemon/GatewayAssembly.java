package io.prefetchd.gateway.daemon;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.prefetchd.gateway.cache.DiskExtentCache;
import io.prefetchd.gateway.cache.ExtentCache;
import io.prefetchd.gateway.datasets.DatasetLookup;
import io.prefetchd.gateway.fleet.Fleet;
import io.prefetchd.gateway.fleet.FleetSettings;
import io.prefetchd.gateway.fleet.HandoverStore;
import io.prefetchd.gateway.fs.Owner;
import io.prefetchd.gateway.fs.ReadObserver;
import io.prefetchd.gateway.fs.S3FileSystem;
import io.prefetchd.gateway.fs.VirtualFileSystem;
import io.prefetchd.gateway.fs.staging.StagingSettings;
import io.prefetchd.gateway.fs.staging.WritableFileSystem;
import io.prefetchd.gateway.hints.EpochsInForce;
import io.prefetchd.gateway.nfs.access.AccessControl;
import io.prefetchd.gateway.nfs.access.FileOwnership;
import io.prefetchd.gateway.nfs.rpc.Nfs4RpcService;
import io.prefetchd.gateway.nfs.rpc.NfsServer;
import io.prefetchd.gateway.nfs.v4.AttributeEncoder;
import io.prefetchd.gateway.nfs.v4.CompoundProcessor;
import io.prefetchd.gateway.nfs.v4.FileHandles;
import io.prefetchd.gateway.nfs.v4.Nfs4Services;
import io.prefetchd.gateway.nfs.v4.NfsLimits;
import io.prefetchd.gateway.nfs.v4.NfsMetrics;
import io.prefetchd.gateway.nfs.v4.state.NfsState;
import io.prefetchd.gateway.prefetch.PrefetchExecutor;
import io.prefetchd.gateway.prefetch.PrefetchSettings;
import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.s3.ObjectStoreException;
import io.prefetchd.gateway.s3.S3ObjectStore;
import io.prefetchd.gateway.s3.S3Settings;
import io.prefetchd.planner.units.Sizes;
import io.prefetchd.tracer.AccessTracer;
import io.prefetchd.tracer.TracerConfig;
import io.prefetchd.tracer.TracerListener;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import static java.util.Objects.requireNonNull;

/**
 * The NFS gateway's share of the composition root: builds a {@link Gateway} from checked settings, each part once,
 * in the order data flows from the bucket to the client: S3 store, extent cache (the fleet's view of it when this
 * gateway joins one), file system view, staged writes over it, the tracer and the prefetch executor that every read
 * is told of, NFS state and operations, the NFS listener, then the background tasks. What a failed start built is
 * closed again. {@link Assembly} calls it for the daemon; {@link Gateway#start} for tests and benchmarks.
 */
final class GatewayAssembly {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayAssembly.class);
    /**
     * Metadata requests to S3 at once: background refreshes, listing prefetches, and the HEADs and LISTs of LOOKUP,
     * GETATTR, OPEN and READDIR misses, which wait here rather than on NFS workers.
     */
    private static final int METADATA_THREADS = 16;

    private GatewayAssembly() {
    }

    static void requireBucket(GatewayConfig.S3 s3) {
        if (s3.getBucket().isBlank()) {
            throw new StartupException("no bucket configured: pass --bucket NAME (or PREFETCHD_S3_BUCKET)");
        }
    }

    /** The S3 store of {@code prefetchd.s3.*}: static keys when given, else the AWS default credential chain. */
    static ObjectStore openStore(GatewayConfig.S3 s3, MeterRegistry registry) {
        return openStore(DaemonSettings.s3(s3), s3, registry);
    }

    /** The store {@code settings} (checked from {@code s3}) name, with {@code s3}'s keys. */
    static ObjectStore openStore(S3Settings settings, GatewayConfig.S3 s3, MeterRegistry registry) {
        return s3.getAccessKey().isBlank()
                ? S3ObjectStore.create(settings, registry)
                : S3ObjectStore.create(settings, registry, StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(s3.getAccessKey(), s3.getSecretKey())));
    }

    /**
     * Serves {@code store} as {@code s} says. The store is not closed if this fails: the caller opened it.
     *
     * @param nanos monotonic nanoseconds for the prefetch executor's pacing
     */
    static Gateway start(DaemonSettings s, ObjectStore store, MeterRegistry registry, Clock clock, LongSupplier nanos,
                         PrefetchExecutor.PlannerFactory planners) {
        requireNonNull(store, "store is null");
        Unwind built = new Unwind();
        try {
            return start(s, store, registry, clock, nanos, planners, built);
        } catch (RuntimeException e) {
            built.closeAll(e);
            throw e;
        }
    }

    private static Gateway start(DaemonSettings s, ObjectStore store, MeterRegistry registry, Clock clock,
                                 LongSupplier nanos, PrefetchExecutor.PlannerFactory planners, Unwind built) {
        String export = "s3://" + store.bucket() + "/" + s.prefix();
        checkReachable(s, store, export);
        try {
            Files.createDirectories(s.stateDir());
            Files.createDirectories(s.cacheDir());
        } catch (IOException e) {
            throw new StartupException("cannot create state folder " + s.stateDir() + ": " + e.getMessage(), e);
        }
        // whether the export takes writes was decided with the settings: it set the modes' defaults
        AccessControl access = new AccessControl(s.exports(), s.ownership(), registry);
        ExtentCache cache = openCache(s, store, registry, clock);
        built.add(cache);

        FileHandles handles = new FileHandles(store.bucket() + "/" + s.prefix(), s.stateDir());
        ExecutorService refresher = Executors.newFixedThreadPool(METADATA_THREADS, daemon("prefetchd-metadata-refresh"));
        built.onFailure(refresher::shutdownNow);
        S3FileSystem fs = new S3FileSystem(store, s.prefix(), cache, handles::fileId, s.metadata(), clock, refresher,
                registry);
        ExecutorService completions = Executors.newSingleThreadExecutor(daemon("prefetchd-upload-completions"));
        built.onFailure(completions::shutdownNow);
        // a file's parts go up while it is written, never held up by another file's copy into the read cache
        ExecutorService streaming = Executors.newSingleThreadExecutor(daemon("prefetchd-upload-parts"));
        built.onFailure(streaming::shutdownNow);
        StagingSettings staging = s.staging();
        WritableFileSystem writes = null;
        if (staging != null) {
            writes = openWrites(staging, fs, store, cache, handles, access.ownership(), s, clock, completions,
                    streaming, registry);
            built.add(writes);
        }
        VirtualFileSystem served = writes != null ? writes : fs;

        AccessTracer tracer = startTracer(s.tracer(), registry);
        built.add(tracer);
        PrefetchSettings planner = s.planner();
        PrefetchExecutor prefetcher = null;
        if (planner != null) {
            PrefetchExecutor started = PrefetchExecutor.start(cache, planner, registry, nanos, planners);
            prefetcher = built.add(started);
            // in a fleet, planners plan for the fleet's cache and see its members' reads
            Fleet.of(cache).ifPresent(f -> f.planWith(started));
        }
        Gateway.Naming naming = new Gateway.Naming(new DatasetLookup(), new EpochsInForce());
        ReadObserver observer = ReadObserver.both(
                s.tracer() != null ? new TracingReadObserver(tracer, fs, naming.datasets(), naming.epochsInForce())
                        : ReadObserver.NONE,
                prefetcher != null ? new PrefetchReadObserver(prefetcher, fs) : ReadObserver.NONE);

        GatewayConfig.Nfs n = s.nfs();
        Nfs nfs = serveNfs(n, export, handles, served, observer, access, registry, clock);
        built.add(nfs.server());
        NfsState state = nfs.state();

        ScheduledExecutorService reaper = Executors.newSingleThreadScheduledExecutor(daemon("prefetchd-lease-reaper"));
        long period = Math.max(1, n.getLeaseTime().toSeconds() / 2);
        reaper.scheduleAtFixedRate(() -> {
            state.expireClients();
            nfs.services().releaseClosedWriters();   // writers whose lease ran out
        }, period, period, TimeUnit.SECONDS);
        // on a thread of its own: a bulk listing of a large dataset must not hold up lease expiry
        ScheduledExecutorService datasetRefresh = Executors.newSingleThreadScheduledExecutor(
                daemon("prefetchd-dataset-refresh"));
        datasetRefresh.scheduleWithFixedDelay(fs::refreshDatasets, 1, 1, TimeUnit.SECONDS);
        List<ExecutorService> background = new ArrayList<>(List.of(refresher, datasetRefresh, completions,
                streaming));
        if (writes != null) {
            background.add(scheduleUploads(writes));
        }
        LOG.info("serving {} over NFSv4.1/4.0 on {}:{} to {}{}", export, n.getBind(), nfs.server().port(),
                access.exports(), staging == null ? ", read-only (prefetchd.write.enabled=false)"
                        : ", read-write: writes staged on local disk (up to " + Sizes.format(staging.capacityBytes())
                        + ") and uploaded when closed");
        return new Gateway(store, cache, fs, background, state, nfs.server(), reaper, export, tracer, prefetcher,
                naming, observer, writes, access);
    }

    /** NFS state, the operations over it, and the listener that serves them. */
    private record Nfs(NfsState state, Nfs4Services services, NfsServer server) {
    }

    private static Nfs serveNfs(GatewayConfig.Nfs n, String export, FileHandles handles, VirtualFileSystem served,
                                ReadObserver observer, AccessControl access, MeterRegistry registry, Clock clock) {
        NfsState state = new NfsState(clock, n.getLeaseTime());
        NfsLimits limits = limits(n);
        AttributeEncoder attributes = new AttributeEncoder(handles, served, n.getLeaseTime(), limits,
                access.ownership());
        byte[] owner = ("prefetchd:" + export).getBytes(StandardCharsets.UTF_8);
        Nfs4Services services = new Nfs4Services(served, handles, state, attributes, limits, clock,
                owner.length > 1024 ? Arrays.copyOf(owner, 1024) : owner, observer, access);
        NfsMetrics metrics = new NfsMetrics(registry);
        metrics.watch(state);
        ExecutorService workers = NfsServer.workerPool(n.getWorkers());
        try {
            NfsServer server = new NfsServer(n.getBind(), n.getPort(), workers,
                    new NfsServer.ConnectionLimits(n.getMaxRecordSize(), n.getIdleTimeout()),
                    new Nfs4RpcService(new CompoundProcessor(services, metrics, workers), metrics), metrics).start();
            return new Nfs(state, services, server);
        } catch (RuntimeException e) {
            workers.shutdownNow();   // the server that would have shut them down did not start
            throw new StartupException("cannot listen for NFS on " + n.getBind() + ":" + n.getPort() + ": "
                    + StartupException.rootMessage(e), e);
        }
    }

    /**
     * Lists the export once. A gateway restarted during an S3 outage still serves what it cached and keeps its staged
     * writes; a first start that cannot reach S3 is a wrong endpoint far more often than an outage, and fails.
     */
    private static void checkReachable(DaemonSettings s, ObjectStore store, String export) {
        String where = export + (s.s3Endpoint().isBlank() ? "" : " at " + s.s3Endpoint());
        try {
            store.list(s.prefix(), "/", null, 1);
        } catch (ObjectStoreException e) {
            if (e.kind() != ObjectStoreException.Kind.UNREACHABLE
                    || !(notEmpty(s.cacheDir()) || notEmpty(s.stagingDir()))) {
                throw new StartupException("cannot list " + where + ": " + StartupException.rootMessage(e), e);
            }
            LOG.warn("S3 does not answer ({}: {}); starting from the last run's state in {}: staged writes are "
                    + "kept and uploaded once S3 answers, and what needs S3 fails with EIO until then", where,
                    StartupException.rootMessage(e), s.stateDir());
        }
    }

    private static boolean notEmpty(Path dir) {
        try (var entries = Files.list(dir)) {
            return entries.findAny().isPresent();
        } catch (IOException e) {
            return false;   // missing or unreadable: nothing to serve from it
        }
    }

    /** The local extent cache, or the fleet's view of it when {@code prefetchd.fleet.members} is set. */
    private static ExtentCache openCache(DaemonSettings s, ObjectStore store, MeterRegistry registry, Clock clock) {
        FleetSettings f = s.fleet();
        if (f == null) {
            return DiskExtentCache.open(s.cacheDir(), s.cacheBytes(), s.grain(), store, registry, clock);
        }
        HandoverStore fetches = new HandoverStore(store);   // S3, and in a fleet moved grains' previous owners first
        ExtentCache local = DiskExtentCache.open(s.cacheDir(), s.cacheBytes(), s.grain(), fetches, registry, clock);
        try {
            return Fleet.join(f, local, fetches, registry, clock).cache();
        } catch (RuntimeException e) {
            local.close();
            throw new StartupException("cannot join fleet " + f.name() + " on " + f.bind() + ":" + f.port()
                    + ": " + StartupException.rootMessage(e), e);
        }
    }

    /** The session limits: a session never promises requests larger than a record may be (its 4-byte header aside). */
    private static NfsLimits limits(GatewayConfig.Nfs n) {
        NfsLimits defaults = NfsLimits.defaults();
        int maxRequest = Math.min(Math.max(defaults.maxRequestSize(), n.getMaxRead() + 65536),
                n.getMaxRecordSize() - 4);
        return new NfsLimits(n.getMaxRead(), maxRequest,
                Math.max(defaults.maxResponseSize(), n.getMaxRead() + 65536), defaults.maxResponseSizeCached(),
                defaults.maxOperations(), defaults.maxRequests());
    }

    /** The staging area and the writable file system over {@code fs}. */
    private static WritableFileSystem openWrites(StagingSettings settings, S3FileSystem fs, ObjectStore store,
                                                 ExtentCache cache, FileHandles handles, FileOwnership o,
                                                 DaemonSettings s, Clock clock, ExecutorService completions,
                                                 ExecutorService streaming, MeterRegistry registry) {
        try {
            return WritableFileSystem.open(fs, store, cache, handles::fileId, settings,
                    new Owner(o.uid(), o.gid(), o.fileMode() & 07777), new Owner(o.uid(), o.gid(), o.dirMode() & 07777),
                    s.metadata().ttl().multipliedBy(2).plusMinutes(1), clock, completions, streaming, registry);
        } catch (RuntimeException e) {
            throw new StartupException("cannot open the staging area " + settings.dir() + ": "
                    + StartupException.rootMessage(e), e);
        }
    }

    /**
     * Starts the uploads of closed files every 200 ms, and at once when a streamed file closes, on a thread of
     * their own.
     */
    private static ScheduledExecutorService scheduleUploads(WritableFileSystem writes) {
        ScheduledExecutorService uploads = Executors.newSingleThreadScheduledExecutor(daemon("prefetchd-uploads"));
        Runnable run = () -> {
            try {
                writes.runUploads();
            } catch (RuntimeException e) {
                LOG.error("starting uploads failed: {}", e.toString(), e);
            }
        };
        uploads.scheduleWithFixedDelay(run, 200, 200, TimeUnit.MILLISECONDS);
        writes.onUploadDue(() -> {
            try {
                uploads.execute(run);   // a streamed file closed: its completion need not wait for the next round
            } catch (RejectedExecutionException e) {
                // stopping: what is staged goes up while the gateway drains, or at its next start
            }
        });
        return uploads;
    }

    /** The access tracer of {@code config}, or a disabled one when the tracer is off. */
    private static AccessTracer startTracer(@Nullable TracerConfig config, MeterRegistry registry) {
        if (config == null) {
            return AccessTracer.disabled();
        }
        AccessTracer tracer;
        try {
            tracer = AccessTracer.start(config, TracerListener.NONE);
        } catch (RuntimeException e) {
            throw new StartupException("cannot start the access tracer: " + StartupException.rootMessage(e), e);
        }
        FunctionCounter.builder("prefetchd.tracer.dropped", tracer, x -> x.stats().dropped())
                .description("trace records dropped because the tracer's buffer was full").register(registry);
        FunctionCounter.builder("prefetchd.tracer.written", tracer, x -> x.stats().written())
                .description("trace records written to trace files").register(registry);
        return tracer;
    }

    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
