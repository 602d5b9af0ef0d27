package io.prefetchd.gateway.daemon;

import io.micrometer.core.instrument.MeterRegistry;
import io.prefetchd.gateway.datasets.DatasetRegistry;
import io.prefetchd.gateway.fleet.FleetHints;
import io.prefetchd.gateway.fleet.FleetReports;
import io.prefetchd.gateway.fs.Owner;
import io.prefetchd.gateway.hints.HintServer;
import io.prefetchd.gateway.hints.HintService;
import io.prefetchd.gateway.nfs.access.AccessControl;
import io.prefetchd.gateway.nfs.access.ExportRule;
import io.prefetchd.gateway.nfs.access.FileOwnership;
import io.prefetchd.gateway.prefetch.PrefetchExecutor;
import io.prefetchd.gateway.prefetch.TraceHistory;
import io.prefetchd.gateway.reports.ReportStore;
import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.s3.S3Settings;
import io.prefetchd.gateway.s3api.S3ApiServer;
import io.prefetchd.gateway.s3api.S3ApiSettings;
import io.prefetchd.tracer.TraceStore;
import org.jspecify.annotations.Nullable;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;

import static java.util.Objects.requireNonNull;

/**
 * The daemon's composition root: every part the daemon runs is built here (the NFS gateway's share by
 * {@link GatewayAssembly}), once, from settings checked before anything is opened, in the order data flows:
 * the report store, the NFS gateway (S3 store, cache, file system, tracer, prefetch executor, NFS listener), the
 * dataset registry that feeds the planners and names traced reads, the gRPC hint API, the S3 endpoint, the readiness
 * probe and the fleet's reports. Parts close in the reverse order. Micronaut only hands these parts to the HTTP
 * controllers ({@link DaemonFactory}).
 */
public final class Assembly implements AutoCloseable {
    private final ReportStore reports;
    private final @Nullable Running running;

    /** The parts that exist while the gateway runs; the hint API and the S3 endpoint only when they are on. */
    private record Running(Gateway gateway, DatasetRegistry datasets, @Nullable HintServer hints,
                           @Nullable S3ApiServer s3Api, Readiness readiness, FleetReports fleetReports) {
    }

    private Assembly(ReportStore reports, @Nullable Running running) {
        this.reports = requireNonNull(reports, "reports is null");
        this.running = running;
    }

    /**
     * Checks every setting, then builds and starts the daemon's parts.
     *
     * @param clock wall-clock time of every part
     * @param nanos monotonic nanoseconds, for the prefetch executor's pacing
     */
    public static Assembly start(GatewayConfig config, MeterRegistry registry, Clock clock, LongSupplier nanos) {
        GatewayAssembly.requireBucket(config.getS3());
        DaemonSettings settings = DaemonSettings.of(config);
        S3Settings s3 = DaemonSettings.s3(config.getS3());
        Unwind built = new Unwind();
        try {
            ReportStore reports = openReports(settings.stateDir(), settings.reports(), registry, clock);
            built.add(reports);
            ObjectStore store = GatewayAssembly.openStore(s3, config.getS3(), registry);
            Gateway gateway;
            try {
                gateway = GatewayAssembly.start(settings, store, registry, clock, nanos,
                        PrefetchExecutor.PlannerFactory.LEARNED);
            } catch (RuntimeException e) {
                store.close();   // the gateway owns the store once it runs
                throw e;
            }
            built.add(gateway);
            PrefetchExecutor prefetcher = gateway.prefetcher();
            if (prefetcher != null) { // the executor ends its epochs into the store, which then reports them
                prefetcher.reportTo(reports);
            }
            DatasetRegistry datasets = datasets(config, settings, gateway, reports, registry, clock, built);
            GatewayConfig.Grpc grpc = settings.grpc();
            HintServer hints = null;
            if (grpc != null) {
                hints = startHints(grpc, new HintService(
                        FleetHints.share(gateway.fleet(), gateway.planning(), datasets), gateway.tracer(), datasets,
                        grpc.getMaxOrderLength(), gateway.naming().epochsInForce()));
                built.add(hints);
            }
            S3ApiSettings s3ApiSettings = settings.s3Api();
            S3ApiServer s3Api = null;
            if (s3ApiSettings != null) {
                s3Api = startS3Api(s3ApiSettings, gateway, registry, clock);
                built.add(s3Api);
            }
            ScheduledExecutorService probes = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "prefetchd-readiness");
                t.setDaemon(true);
                return t;
            });
            built.onFailure(probes::shutdownNow);
            Readiness readiness = built.add(new Readiness(store, settings.prefix(), probes).start());
            // in a fleet, every completed epoch's figures are published to the fleet
            FleetReports fleetReports = FleetReports.share(gateway.fleet(), reports);
            return new Assembly(reports, new Running(gateway, datasets, hints, s3Api, readiness, fleetReports));
        } catch (RuntimeException e) {
            built.closeAll(e);
            throw e;
        }
    }

    /** The daemon without its gateway (for tests of the HTTP shell): the saved reports alone. */
    public static Assembly withoutGateway(GatewayConfig config, MeterRegistry registry, Clock clock) {
        return new Assembly(openReports(Path.of(config.getStateDir()), DaemonSettings.reports(config.getReports()),
                registry, clock), null);
    }

    /** Epoch reports: live logs for the executor, the last reports per job, saved under {@code <state-dir>/reports}. */
    private static ReportStore openReports(Path stateDir, GatewayConfig.Reports r, MeterRegistry registry,
                                           Clock clock) {
        return ReportStore.open(stateDir.resolve("reports"), r.getKeepPerJob(), r.getMaxReports(), clock, registry);
    }

    /** The served datasets; those of {@code prefetchd.datasets} are indexed in the background from the start. */
    private static DatasetRegistry datasets(GatewayConfig config, DaemonSettings s, Gateway gateway,
                                            ReportStore reports, MeterRegistry registry, Clock clock, Unwind built) {
        DatasetRegistry datasets = built.add(new DatasetRegistry(gateway.store(), config.getS3().getPrefix(),
                s.stateDir().resolve("indexes"), DatasetRegistry.DEFAULT_PARALLELISM, registry, clock));
        reports.nameDatasetsWith(datasets::byId);
        PrefetchExecutor prefetcher = gateway.prefetcher();
        if (prefetcher != null) { // plan every dataset once it is indexed (and again when re-indexed)
            TraceHistory history = new TraceHistory(TraceStore.open(s.stateDir()),
                    TraceHistory.DEFAULT_EPOCHS); // the planner starts from the epochs traced before a restart
            datasets.addListener(d -> prefetcher.addDataset(d.id(), d.index(),
                    history.of(HintService.tracerDataset(d), d.index())));
        } else { // no planner, but blocks still follow samples
            datasets.addListener(d -> PrefetchExecutor.cutAtSamples(gateway.cache(), d.index()));
        }
        // reads of its objects are traced under its path, and its size lets the tracer infer unhinted epochs
        datasets.addListener(d -> {
            gateway.naming().datasets().add(d);
            reports.datasetServed(d.id());
            gateway.tracer().datasetSize(HintService.tracerDataset(d), d.index().totalBytes());
        });
        // an indexed dataset's names are held in memory: its LOOKUP/GETATTR/OPEN/READDIR never wait on S3
        datasets.addListener(d -> DatasetNames.pin(gateway.fileSystem(), d, () -> datasets.reindex(d.id())));
        try {
            datasets.registerConfigured(config.getDatasets());
        } catch (IllegalArgumentException e) {   // the start unwinds, closing the registry
            throw new StartupException("prefetchd.datasets: " + e.getMessage(), e);
        }
        return datasets;
    }

    /** The hint API's listener, serving {@code service}. */
    private static HintServer startHints(GatewayConfig.Grpc c, HintService service) {
        try {
            return HintServer.start(new HintServer.Listen(c.getBind(), c.getPort(),
                    TokenSetting.read("prefetchd.grpc", c.getToken(), c.getTokenFile()),
                    c.getMaxMessageSize(), c.getTlsCert(), c.getTlsKey()), service);
        } catch (IllegalStateException e) {
            throw new StartupException(String.valueOf(e.getMessage()), e);
        }
    }

    private static S3ApiServer startS3Api(S3ApiSettings settings, Gateway gateway, MeterRegistry registry, Clock clock) {
        try {
            // a client may write through S3 where its export rule is rw
            AccessControl access = gateway.access();
            FileOwnership o = access.ownership();
            return S3ApiServer.start(settings, gateway.store().bucket(), gateway.served(), gateway.readObserver(),
                    new Owner(o.uid(), o.gid(), o.dirMode() & 07777),
                    client -> access.exports().match(client).map(ExportRule::readWrite).orElse(false),
                    registry, clock);
        } catch (IllegalStateException e) {
            throw new StartupException(String.valueOf(e.getMessage()), e);
        }
    }

    public ReportStore reports() {
        return reports;
    }

    /** The running gateway, or empty in a daemon started without it. */
    public Optional<Gateway> gateway() {
        return running == null ? Optional.empty() : Optional.of(running.gateway());
    }

    public Optional<DatasetRegistry> datasets() {
        return running == null ? Optional.empty() : Optional.of(running.datasets());
    }

    /** The gRPC hint API, or empty when it is off. */
    public Optional<HintServer> hints() {
        return running == null ? Optional.empty() : Optional.ofNullable(running.hints());
    }

    /** The S3 endpoint, or empty when it is off. */
    public Optional<S3ApiServer> s3Api() {
        return running == null ? Optional.empty() : Optional.ofNullable(running.s3Api());
    }

    public Optional<Readiness> readiness() {
        return running == null ? Optional.empty() : Optional.of(running.readiness());
    }

    public Optional<FleetReports> fleetReports() {
        return running == null ? Optional.empty() : Optional.of(running.fleetReports());
    }

    /**
     * Closes the parts in the reverse order of their start: the endpoints first, so no new request arrives; the
     * gateway before the report store, because its executor ends the running epochs into the store, whose close then
     * waits for their reports.
     */
    @Override
    public void close() {
        try {
            if (running != null) {
                closeRunning(running);
            }
        } finally {
            reports.close();
        }
    }

    /** Closes every part, each whatever the ones before it did; the first failure is thrown, the others added. */
    private static void closeRunning(Running r) {
        List<AutoCloseable> parts = new ArrayList<>();
        parts.add(r.readiness());
        if (r.s3Api() != null) {
            parts.add(r.s3Api());
        }
        if (r.hints() != null) {
            parts.add(r.hints());
        }
        parts.add(r.datasets());
        parts.add(r.gateway());
        RuntimeException failed = null;
        for (AutoCloseable part : parts) {
            try {
                part.close();
            } catch (Exception e) {
                RuntimeException f = e instanceof RuntimeException re ? re
                        : new IllegalStateException("cannot close " + part + ": " + e.getMessage(), e);
                if (failed == null) {
                    failed = f;
                } else {
                    failed.addSuppressed(f);
                }
            }
        }
        if (failed != null) {
            throw failed;
        }
    }
}
