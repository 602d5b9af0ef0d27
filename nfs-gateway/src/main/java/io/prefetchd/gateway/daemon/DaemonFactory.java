package io.prefetchd.gateway.daemon;

import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.annotation.Value;
import io.micronaut.context.exceptions.DisabledBeanException;
import io.prefetchd.gateway.datasets.DatasetRegistry;
import io.prefetchd.gateway.fleet.FleetReports;
import io.prefetchd.gateway.hints.HintServer;
import io.prefetchd.gateway.reports.ReportStore;
import io.prefetchd.gateway.s3api.S3ApiServer;
import jakarta.inject.Singleton;

import java.time.Clock;
import java.util.Optional;

/**
 * Micronaut's view of the daemon: the HTTP shell around the {@link Assembly}, which builds every part. Besides the
 * metrics registry and the listener check, these methods only hand the assembly's parts to the HTTP controllers;
 * the assembly alone closes them. {@code DaemonFactoryTest} keeps it that way.
 */
@Factory
public class DaemonFactory {
    private static final String GATEWAY_ENABLED = "prefetchd.gateway.enabled";

    @Singleton
    @Bean(preDestroy = "close")
    PrometheusMeterRegistry meterRegistry() {
        PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(r);
        new JvmThreadMetrics().bindTo(r);
        BuildInfo.load().register(r);
        return r;
    }

    /** Every listener the daemon opens, from the settings that place them. */
    @Singleton
    Listeners listeners(GatewayConfig config, @Value("${micronaut.server.host:0.0.0.0}") String httpHost,
                        @Value("${micronaut.server.port:8049}") int httpPort) {
        return Listeners.of(config, httpHost, httpPort);
    }

    /** Starts the daemon once every listener's port was found free: a taken port fails before NFS is served. */
    @Context
    @Requires(property = GATEWAY_ENABLED, notEquals = "false")
    @Bean(preDestroy = "close")
    Assembly assembly(GatewayConfig config, PrometheusMeterRegistry registry, Listeners listeners) {
        listeners.checkFree();
        return Assembly.start(config, registry, Clock.systemUTC(), System::nanoTime);
    }

    /** With {@code prefetchd.gateway.enabled=false} (tests of the HTTP shell): the saved reports alone. */
    @Singleton
    @Requires(property = GATEWAY_ENABLED, value = "false")
    @Bean(preDestroy = "close")
    Assembly withoutGateway(GatewayConfig config, PrometheusMeterRegistry registry) {
        return Assembly.withoutGateway(config, registry, Clock.systemUTC());
    }

    @Singleton
    ReportStore reportStore(Assembly assembly) {
        return assembly.reports();
    }

    @Singleton
    @Requires(property = GATEWAY_ENABLED, notEquals = "false")
    Gateway gateway(Assembly assembly) {
        return part(assembly.gateway(), "gateway");
    }

    @Singleton
    @Requires(property = GATEWAY_ENABLED, notEquals = "false")
    @Requires(property = "prefetchd.grpc.enabled", notEquals = "false")
    HintServer hintServer(Assembly assembly) {
        return part(assembly.hints(), "gRPC hint API");
    }

    /** The S3-compatible endpoint, when {@code prefetchd.s3-api.port} is set. */
    @Singleton
    @Requires(property = GATEWAY_ENABLED, notEquals = "false")
    @Requires(property = "prefetchd.s3-api.port")
    @Requires(property = "prefetchd.s3-api.port", notEquals = "-1")
    S3ApiServer s3Api(Assembly assembly) {
        return part(assembly.s3Api(), "S3 endpoint");
    }

    /** {@code /ready}. */
    @Singleton
    @Requires(property = GATEWAY_ENABLED, notEquals = "false")
    Readiness readiness(Assembly assembly) {
        return part(assembly.readiness(), "readiness probe");
    }

    @Singleton
    @Requires(property = GATEWAY_ENABLED, notEquals = "false")
    DatasetRegistry datasetRegistry(Assembly assembly) {
        return part(assembly.datasets(), "dataset registry");
    }

    /** {@code /api/fleet/reports}. */
    @Singleton
    @Requires(property = GATEWAY_ENABLED, notEquals = "false")
    FleetReports fleetReports(Assembly assembly) {
        return part(assembly.fleetReports(), "fleet reports");
    }

    private static <T> T part(Optional<T> part, String name) {
        return part.orElseThrow(() -> new DisabledBeanException("the daemon runs no " + name));
    }
}
