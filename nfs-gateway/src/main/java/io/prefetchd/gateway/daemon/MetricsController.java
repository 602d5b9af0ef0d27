package io.prefetchd.gateway.daemon;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Produces;
import io.micronaut.core.annotation.Nullable;
import io.prefetchd.planner.units.Sizes;
import io.prefetchd.gateway.cache.CacheStats;
import io.prefetchd.gateway.datasets.DatasetRegistry;
import io.prefetchd.gateway.datasets.ServedDataset;
import io.prefetchd.gateway.fs.S3FileSystem;
import io.prefetchd.gateway.fs.staging.StagingStatus;
import io.prefetchd.gateway.prefetch.PrefetchExecutor;
import io.prefetchd.gateway.s3api.S3ApiServer;

import java.util.List;
import java.util.Optional;
import static java.util.Objects.requireNonNull;

/** HTTP: {@code /metrics} in the Prometheus text format, {@code /status} as one human-readable page. */
@Controller
public class MetricsController {
    private final PrometheusMeterRegistry registry;
    private final @Nullable Gateway gateway;
    private final @Nullable DatasetRegistry datasets;
    private final @Nullable S3ApiServer s3Api;

    public MetricsController(PrometheusMeterRegistry registry, @Nullable Gateway gateway,
                             @Nullable DatasetRegistry datasets) {
        this(registry, gateway, datasets, null);
    }

    @jakarta.inject.Inject
    public MetricsController(PrometheusMeterRegistry registry, @Nullable Gateway gateway,
                             @Nullable DatasetRegistry datasets, @Nullable S3ApiServer s3Api) {
        this.registry = registry;
        this.gateway = gateway;
        this.datasets = datasets;
        this.s3Api = s3Api;
    }

    /** {@code imagefolder/train (imagefolder) [ds-…]}, or the id alone when the dataset is not (yet) served. */
    private String name(String datasetId) {
        Optional<ServedDataset> d = datasets == null ? Optional.empty() : datasets.byId(datasetId);
        return d.map(x -> x.displayName() + " [" + datasetId + "]").orElse(datasetId);
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
                + "s3 api      " + (s3Api == null ? "off" : "port " + s3Api.port() + ", bucket " + s3Api.bucket()
                        + " (" + s3Api.access() + ")") + "\n"
                + "cache       " + Sizes.format(s.usedBytes()) + " of " + Sizes.format(s.capacityBytes())
                + " in " + s.blocks() + " blocks\n"
                + "hits        " + s.hits() + " blocks (" + Sizes.format(s.hitBytes()) + ")\n"
                + "misses      " + s.misses() + " blocks (" + Sizes.format(s.missBytes()) + ")\n"
                + s3() + fleet() + metadata() + writes()
                + "nfs clients " + gateway.state().clientCount() + ", sessions " + gateway.state().sessionCount()
                + ", open files " + gateway.state().openCount() + ", locks " + gateway.state().locks().heldCount()
                + "\n"
                + planner();
    }

    /** The gateway, for the parts of {@link #status} written once it found one running. */
    private Gateway running() {
        return requireNonNull(gateway, "status is written only while the gateway runs");
    }

    private String s3() {
        return running().s3Reachability().map(r -> r.reachable() ? "s3          reachable\n"
                : "s3          UNREACHABLE for " + r.unreachableFor().toSeconds() + " s (" + r.lastError() + "); "
                        + r.refused() + " requests failed fast; cached data is served, uncached reads fail (EIO)\n")
                .orElse("");
    }

    private String fleet() {
        return running().fleet().map(f -> "fleet       " + f.status() + "\n").orElse("");
    }

    private String writes() {
        return running().writes().map(w -> {
            StagingStatus s = w.status();
            return "writes      " + Sizes.format(s.stagedBytes()) + " staged of " + Sizes.format(s.capacityBytes())
                    + ", " + s.pending().size() + (s.pending().size() == 1 ? " upload" : " uploads") + " pending"
                    + (s.pending().isEmpty() ? "" : " (oldest " + s.oldestPending().toSeconds() + " s)")
                    + (s.lastError().isEmpty() ? "" : "; last upload error: " + s.lastError()) + "\n";
        }).orElse("writes      off (read-only)\n");
    }

    private String metadata() {
        S3FileSystem fs = running().fileSystem();
        List<String> held = fs.heldDatasetFolders();
        return "metadata    " + (held.isEmpty() ? "no dataset folder held" : "names held for /"
                + String.join(", /", held) + ": " + Sizes.format(fs.heldDatasetNameBytes(true)) + " in mapped files, "
                + Sizes.format(fs.heldDatasetNameBytes(false)) + " on the heap") + "\n";
    }

    private String planner() {
        PrefetchExecutor executor = running().prefetcher();
        if (executor == null) {
            return "planner     off\n";
        }
        StringBuilder sb = new StringBuilder();
        List<PrefetchExecutor.DatasetStatus> datasets = executor.status();
        sb.append("planner     on, ").append(datasets.size()).append(datasets.size() == 1 ? " dataset" : " datasets")
                .append('\n');
        for (PrefetchExecutor.DatasetStatus d : datasets) {
            if (!d.planned()) {
                sb.append("  ").append(name(d.datasetId())).append(": NOT PLANNED (served without prefetch): ")
                        .append(d.error()).append('\n');
                continue;
            }
            sb.append("  ").append(name(d.datasetId())).append(": ").append(d.samples()).append(" samples, ")
                    .append(Sizes.format(d.datasetBytes())).append(", plans for ")
                    .append(Sizes.format(d.plannerCapacityBytes())).append(" of cache; ")
                    .append(d.epoch() < 0 ? "not read yet" : "epoch " + d.epoch() + " (" + d.samplesReadThisEpoch()
                            + " samples read" + (d.job() == null ? ", no hints" : ", hints from job " + d.job()) + ")")
                    .append(", ").append(d.fetchesInFlight()).append(" GETs in flight")
                    .append(d.error().isEmpty() ? "" : "; last planner error: " + d.error()).append('\n');
        }
        return sb.toString();
    }
}
