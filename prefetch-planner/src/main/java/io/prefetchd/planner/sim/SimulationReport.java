package io.prefetchd.planner.sim;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prefetchd.planner.json.Json;

import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * The result of one simulation: the setting, the bounds, and one row per policy. Printable as a table and as JSON.
 *
 * @param epochReadBytes         bytes the reader reads per epoch
 * @param allLocalEpochSeconds   epoch time if every byte were local (the compute bound)
 * @param s3BoundEpochSeconds    {@code (1 − c)·D / bandwidth}: the time S3 needs for the bytes no policy can avoid
 */
public record SimulationReport(String workload, String description, int samples, long datasetBytes,
                               long capacityBytes, int epochs, SimulationConfig config, long epochReadBytes,
                               double allLocalEpochSeconds, double s3BoundEpochSeconds, List<PolicyResult> results) {

    public SimulationReport {
        requireNonNull(workload, "workload is null");
        requireNonNull(description, "description is null");
        requireNonNull(config, "config is null");
        results = List.copyOf(requireNonNull(results, "results is null"));
    }

    /** The row of a policy. */
    public PolicyResult result(PolicyKind policy) {
        for (PolicyResult r : results) {
            if (r.policy() == policy) {
                return r;
            }
        }
        throw new IllegalArgumentException("policy " + policy.label() + " was not simulated");
    }

    private @Nullable Double optBytes() {
        for (PolicyResult r : results) {
            if (r.policy() == PolicyKind.OPT) {
                return r.s3BytesPerEpoch();
            }
        }
        return null;
    }

    /** A fixed-width table for terminals. */
    public String toTable() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "workload %s: %s%n", workload, description));
        b.append(String.format(Locale.ROOT,
                "  %,d samples, D = %s, cache %s (c = %.2f); %d epochs, first %d not measured%n",
                samples, bytes(datasetBytes), bytes(capacityBytes), config.cacheFraction(), epochs,
                config.warmupEpochs()));
        b.append(String.format(Locale.ROOT,
                "  S3: %d ms first byte, %s/s, %d GETs in flight; reader: %s/s, %d reads outstanding%n",
                config.latency().toMillis(), bytes(config.bandwidthBytesPerSecond()), config.concurrency(),
                bytes(config.readerBytesPerSecond()), config.readerDepth()));
        b.append(String.format(Locale.ROOT,
                "  bounds per epoch: all-local %.2f s; (1-c)*D/bandwidth %.2f s; S3 bytes >= (1-c)*D = %s%n%n",
                allLocalEpochSeconds, s3BoundEpochSeconds,
                bytes((long) ((1 - config.cacheFraction()) * datasetBytes))));
        b.append(String.format(Locale.ROOT, "%-13s %7s %8s %11s %7s %10s %12s %9s %11s%n", "policy", "hit", "no-wait",
                "S3/epoch", "vs OPT", "GETs/ep", "stall s/ep", "epoch s", "wait ms"));
        Double opt = optBytes();
        for (PolicyResult r : results) {
            b.append(String.format(Locale.ROOT, "%-13s %6.2f%% %7.2f%% %11s %7s %,10.0f %12.2f %9.2f %11.1f%n",
                    r.policy().label(), 100 * r.hitRatio(), 100 * r.noWaitRatio(),
                    bytes((long) r.s3BytesPerEpoch()),
                    opt == null || opt == 0 ? "-" : String.format(Locale.ROOT, "%.3fx", r.s3BytesPerEpoch() / opt),
                    r.requestsPerEpoch(), r.stallSecondsPerEpoch(), r.epochSeconds(), r.meanReadWaitMillis()));
        }
        return b.toString();
    }

    /** JSON: the setting, the bounds and every policy's row (bytes as numbers, seconds as numbers). */
    public String toJson() {
        ObjectNode o = Json.object().put("workload", workload).put("description", description)
                .put("samples", samples).put("datasetBytes", datasetBytes).put("capacityBytes", capacityBytes);
        o.set("cacheFraction", Json.number(config.cacheFraction()));
        o.put("epochs", epochs).put("warmupEpochs", config.warmupEpochs())
                .set("latencyMillis", Json.number(config.latency().toNanos() / 1e6));
        o.put("bandwidthBytesPerSecond", config.bandwidthBytesPerSecond()).put("concurrency", config.concurrency())
                .put("readerBytesPerSecond", config.readerBytesPerSecond()).put("readerDepth", config.readerDepth())
                .put("hintLeadEpochs", config.hintLeadEpochs()).put("epochReadBytes", epochReadBytes)
                .set("allLocalEpochSeconds", Json.number(allLocalEpochSeconds));
        o.set("s3BoundEpochSeconds", Json.number(s3BoundEpochSeconds));
        ArrayNode policies = o.putArray("policies");
        for (PolicyResult r : results) {
            ObjectNode p = policies.addObject().put("policy", r.policy().label());
            p.set("hitRatio", Json.number(r.hitRatio()));
            p.set("noWaitRatio", Json.number(r.noWaitRatio()));
            p.set("s3BytesPerEpoch", Json.number(r.s3BytesPerEpoch()));
            p.set("requestsPerEpoch", Json.number(r.requestsPerEpoch()));
            p.set("wasteBytesPerEpoch", Json.number(r.wasteBytesPerEpoch()));
            p.set("unusedPrefetchBytesPerEpoch", Json.number(r.unusedPrefetchBytesPerEpoch()));
            p.set("stallSecondsPerEpoch", Json.number(r.stallSecondsPerEpoch()));
            p.set("epochSeconds", Json.number(r.epochSeconds()));
            p.set("meanReadWaitMillis", Json.number(r.meanReadWaitMillis()));
            p.put("peakCacheBytes", r.peakCacheBytes()).put("reads", r.reads());
        }
        return Json.pretty(o);
    }

    /** Decimal units (kB, MB, GB), as S3 bills and as the goals are stated. */
    static String bytes(long n) {
        if (n < 1_000) {
            return n + " B";
        }
        String[] units = {"kB", "MB", "GB", "TB", "PB"};
        double v = n;
        int u = -1;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, v >= 100 ? "%.0f %s" : v >= 10 ? "%.1f %s" : "%.2f %s", v, units[u]);
    }
}
