package io.prefetchd.gateway.daemon;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Produces;
import io.micronaut.core.annotation.Nullable;
import io.prefetchd.gateway.cache.CacheStats;

/** HTTP: {@code /metrics} in the Prometheus text format, {@code /status} as one human-readable page. */
@Controller
public class MetricsController {
    private final PrometheusMeterRegistry registry;
    private final Gateway gateway;

    public MetricsController(PrometheusMeterRegistry registry, @Nullable Gateway gateway) {
        this.registry = registry;
        this.gateway = gateway;
    }

    @Get("/metrics")
    @Produces("text/plain; version=0.0.4; charset=utf-8")
    public String metrics() {
        return registry.scrape();
    }

    @Get("/status")
    @Produces("text/plain; charset=utf-8")
    public String status() {
        if (gateway == null) {
            return "gateway not running\n";
        }
        CacheStats s = gateway.cache().stats();
        return "export      " + gateway.export() + "\n"
                + "nfs port    " + gateway.nfsPort() + "\n"
                + "cache       " + Sizes.format(s.usedBytes()) + " of " + Sizes.format(s.capacityBytes())
                + " in " + s.blocks() + " blocks\n"
                + "hits        " + s.hits() + " blocks (" + Sizes.format(s.hitBytes()) + ")\n"
                + "misses      " + s.misses() + " blocks (" + Sizes.format(s.missBytes()) + ")\n"
                + "nfs clients " + gateway.state().clientCount() + ", sessions " + gateway.state().sessionCount()
                + ", open files " + gateway.state().openCount() + "\n";
    }
}
