package io.prefetchd.gateway.daemon;

import static java.util.Objects.requireNonNull;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Requires;
import io.prefetchd.gateway.datasets.DatasetRegistry;
import io.micronaut.context.annotation.Value;
import io.prefetchd.gateway.fleet.FleetHints;
import io.prefetchd.gateway.fleet.FleetReports;
import io.prefetchd.gateway.hints.HintServer;
import io.prefetchd.gateway.prefetch.PrefetchExecutor;
import io.prefetchd.gateway.prefetch.TraceHistory;
import io.prefetchd.tracer.TraceStore;
import io.prefetchd.gateway.reports.ReportStore;
import io.prefetchd.gateway.fs.Owner;
import io.prefetchd.gateway.nfs.access.AccessControl;
import io.prefetchd.gateway.nfs.access.ExportRule;
import io.prefetchd.gateway.nfs.access.FileOwnership;
import io.prefetchd.gateway.s3api.S3ApiServer;
import io.prefetchd.gateway.s3api.S3ApiSettings;
import io.micrometer.core.instrument.MeterRegistry;
import io.prefetchd.gateway.hints.HintService;
import jakarta.inject.Singleton;

import io.prefetchd.gateway.fs.S3FileSystem;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.time.Clock;

/** Micronaut wiring of the daemon: the metrics registry and the gateway, started with the context. */
@Factory
public class DaemonFactory {

    @Singleton
    @Bean(preDestroy = "close")
    PrometheusMeterRegistry meterRegistry() {
        PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(r);
        new io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics().bindTo(r);
        BuildInfo.load().register(r);
        return r;
    }

    /** Every listener the daemon opens, from the settings that place them. */
    @Singleton
    Listeners listeners(GatewayConfig config, @Value("${micronaut.server.host:0.0.0.0}") String httpHost,
                        @Value("${micronaut.server.port:8049}") int httpPort) {
        List<Listeners.Listener> all = new ArrayList<>();
        all.add(new Listeners.Listener("NFS", "--nfs-port/--nfs-bind, prefetchd.nfs.port/bind",
                config.getNfs().getBind(), config.getNfs().getPort()));
        if (config.getGrpc().isEnabled()) {
            all.add(new Listeners.Listener("the gRPC hint API", "--grpc-port/--grpc-bind, prefetchd.grpc.port/bind",
                    config.getGrpc().getBind(), config.getGrpc().getPort()));
        }
        if (config.getS3Api().isEnabled()) {
            all.add(new Listeners.Listener("the S3 endpoint", "--s3-api-port/--s3-api-bind, prefetchd.s3-api.port/bind",
                    config.getS3Api().getBind(), config.getS3Api().getPort()));
        }
        if (!config.getFleet().getMembers().isEmpty()) {
            all.add(new Listeners.Listener("the fleet membership", "--fleet-port, prefetchd.fleet.port/bind",
                    config.getFleet().getBind(), config.getFleet().getPort()));
            all.add(new Listeners.Listener("the fleet's peer data channel", "prefetchd.fleet.peer-port/bind",
                    config.getFleet().getBind(), config.getFleet().getPeerPort()));
        }
        all.add(new Listeners.Listener("HTTP", "--http-port/--http-bind, micronaut.server.port/host", httpHost,
                httpPort));
        return new Listeners(all);
    }

    /**
     * Starts serving once every listener's port was found free: a taken port fails before NFS is served. The
     * gateway depends on the report store, so it closes first: its executor ends the running epochs into the store,
     * whose close then waits for their reports.
     */
    @Context
    @Requires(property = "prefetchd.gateway.enabled", notEquals = "false")
    @Bean(preDestroy = "close")
    Gateway gateway(GatewayConfig config, PrometheusMeterRegistry registry, Listeners listeners, ReportStore reports) {
        listeners.checkFree();
        Gateway gateway = Gateway.start(config, registry, Clock.systemUTC());
        if (gateway.prefetcher() != null) {
            gateway.prefetcher().reportTo(reports);
        }
        return gateway;
    }

    @Context
    @Requires(property = "prefetchd.gateway.enabled", notEquals = "false")
    @Requires(property = "prefetchd.grpc.enabled", notEquals = "false")
    @Bean(preDestroy = "close")
    HintServer hintServer(GatewayConfig config, Gateway gateway, DatasetRegistry datasets) {
        return HintServer.start(config.getGrpc(), new HintService(
                FleetHints.share(gateway.fleet(), gateway.planning(), datasets), gateway.tracer(), datasets,
                config.getGrpc().getMaxOrderLength(), gateway.naming().epochsInForce()));
    }

    /** The S3-compatible endpoint over the gateway's file system, when {@code prefetchd.s3-api.port} is set. */
    @Context
    @Requires(property = "prefetchd.gateway.enabled", notEquals = "false")
    @Requires(property = "prefetchd.s3-api.port")
    @Requires(property = "prefetchd.s3-api.port", notEquals = "-1")
    @Bean(preDestroy = "close")
    S3ApiServer s3Api(GatewayConfig config, Gateway gateway, PrometheusMeterRegistry registry) {
        return startS3Api(config, gateway, registry);
    }

    static S3ApiServer startS3Api(GatewayConfig config, Gateway gateway, MeterRegistry registry) {
        GatewayConfig.S3Api a = config.getS3Api();
        S3ApiSettings settings;
        try {
            settings = new S3ApiSettings(a.getBind(), a.getPort(), a.getAccessKey(), a.getSecretKey(),
                    a.getVirtualHost(), config.getNfs().getMaxRead(), Path.of(config.getStateDir()).resolve("s3-api"));
        } catch (IllegalArgumentException e) {
            throw new StartupException("prefetchd.s3-api: " + e.getMessage()
                    + " (set prefetchd.s3-api.access-key and secret-key, or PREFETCHD_S3_API_ACCESS_KEY/SECRET_KEY)", e);
        }
        try {
            // the same rules as NFS clients': a client may write through S3 where its export rule is rw
            AccessControl access = gateway.access();
            FileOwnership o = access.ownership();
            return S3ApiServer.start(settings, gateway.store().bucket(), gateway.served(), gateway.readObserver(),
                    new Owner(o.uid(), o.gid(), o.dirMode() & 07777),
                    client -> access.exports().match(client).map(ExportRule::readWrite).orElse(false),
                    registry, Clock.systemUTC());
        } catch (IllegalStateException e) {
            throw new StartupException(String.valueOf(e.getMessage()), e);
        }
    }

    /** {@code /ready}: probes S3 in the background until it answers once. */
    @Context
    @Requires(property = "prefetchd.gateway.enabled", notEquals = "false")
    @Bean(preDestroy = "close")
    Readiness readiness(GatewayConfig config, Gateway gateway) {
        return new Readiness(gateway.store(), S3FileSystem.normalizePrefix(config.getS3().getPrefix()),
                Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "prefetchd-readiness");
                    t.setDaemon(true);
                    return t;
                })).start();
    }

    /** The served datasets; those of {@code prefetchd.datasets} are indexed in the background from the start. */
    @Context
    @Requires(property = "prefetchd.gateway.enabled", notEquals = "false")
    @Bean(preDestroy = "close")
    DatasetRegistry datasetRegistry(GatewayConfig config, Gateway gateway, PrometheusMeterRegistry registry,
                                    ReportStore reports) {
        DatasetRegistry datasets = new DatasetRegistry(gateway.store(), config.getS3().getPrefix(),
                Path.of(config.getStateDir()).resolve("indexes"), DatasetRegistry.DEFAULT_PARALLELISM, registry,
                Clock.systemUTC());
        reports.nameDatasetsWith(datasets::byId);
        if (gateway.prefetcher() != null) { // plan every dataset once it is indexed (and again when re-indexed)
            TraceHistory history = new TraceHistory(TraceStore.open(Path.of(config.getStateDir())),
                    TraceHistory.DEFAULT_EPOCHS); // the planner starts from the epochs traced before a restart
            datasets.addListener(d -> requireNonNull(gateway.prefetcher(), "checked above")
                    .addDataset(d.id(), d.index(), history.of(HintService.tracerDataset(d), d.index())));
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
        } catch (IllegalArgumentException e) {
            datasets.close();
            throw new StartupException("prefetchd.datasets: " + e.getMessage(), e);
        }
        return datasets;
    }

    /** In a fleet, every completed epoch's figures are published to the fleet, which answers /api/fleet/reports. */
    @Context
    @Requires(property = "prefetchd.gateway.enabled", notEquals = "false")
    FleetReports fleetReports(Gateway gateway, ReportStore reports) {
        return FleetReports.share(gateway.fleet(), reports);
    }

    /** Epoch reports: live logs for the executor, the last reports per job, saved under <state-dir>/reports. */
    @Singleton
    @Bean(preDestroy = "close")
    ReportStore reportStore(GatewayConfig config, PrometheusMeterRegistry registry,
                            @Value("${prefetchd.reports.keep-per-job:50}") int keepPerJob,
                            @Value("${prefetchd.reports.max-reports:2000}") int maxReports) {
        return ReportStore.open(Path.of(config.getStateDir()).resolve("reports"), keepPerJob, maxReports,
                Clock.systemUTC(), registry);
    }
}
