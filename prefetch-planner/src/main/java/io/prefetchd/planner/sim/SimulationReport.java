package io.prefetchd.planner.sim;

import java.util.List;
import java.util.Locale;

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

    private Double optBytes() {
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
        StringBuilder b = new StringBuilder();
        b.append("{\n");
        field(b, "workload", workload).append(",\n");
        field(b, "description", description).append(",\n");
        b.append("  \"samples\": ").append(samples).append(",\n");
        b.append("  \"datasetBytes\": ").append(datasetBytes).append(",\n");
        b.append("  \"capacityBytes\": ").append(capacityBytes).append(",\n");
        b.append("  \"cacheFraction\": ").append(num(config.cacheFraction())).append(",\n");
        b.append("  \"epochs\": ").append(epochs).append(",\n");
        b.append("  \"warmupEpochs\": ").append(config.warmupEpochs()).append(",\n");
        b.append("  \"latencyMillis\": ").append(num(config.latency().toNanos() / 1e6)).append(",\n");
        b.append("  \"bandwidthBytesPerSecond\": ").append(config.bandwidthBytesPerSecond()).append(",\n");
        b.append("  \"concurrency\": ").append(config.concurrency()).append(",\n");
        b.append("  \"readerBytesPerSecond\": ").append(config.readerBytesPerSecond()).append(",\n");
        b.append("  \"readerDepth\": ").append(config.readerDepth()).append(",\n");
        b.append("  \"hintLeadEpochs\": ").append(config.hintLeadEpochs()).append(",\n");
        b.append("  \"epochReadBytes\": ").append(epochReadBytes).append(",\n");
        b.append("  \"allLocalEpochSeconds\": ").append(num(allLocalEpochSeconds)).append(",\n");
        b.append("  \"s3BoundEpochSeconds\": ").append(num(s3BoundEpochSeconds)).append(",\n");
        b.append("  \"policies\": [\n");
        for (int i = 0; i < results.size(); i++) {
            PolicyResult r = results.get(i);
            b.append("    {");
            b.append("\"policy\": \"").append(r.policy().label()).append("\", ");
            b.append("\"hitRatio\": ").append(num(r.hitRatio())).append(", ");
            b.append("\"noWaitRatio\": ").append(num(r.noWaitRatio())).append(", ");
            b.append("\"s3BytesPerEpoch\": ").append(num(r.s3BytesPerEpoch())).append(", ");
            b.append("\"requestsPerEpoch\": ").append(num(r.requestsPerEpoch())).append(", ");
            b.append("\"wasteBytesPerEpoch\": ").append(num(r.wasteBytesPerEpoch())).append(", ");
            b.append("\"unusedPrefetchBytesPerEpoch\": ").append(num(r.unusedPrefetchBytesPerEpoch())).append(", ");
            b.append("\"stallSecondsPerEpoch\": ").append(num(r.stallSecondsPerEpoch())).append(", ");
            b.append("\"epochSeconds\": ").append(num(r.epochSeconds())).append(", ");
            b.append("\"meanReadWaitMillis\": ").append(num(r.meanReadWaitMillis())).append(", ");
            b.append("\"peakCacheBytes\": ").append(r.peakCacheBytes()).append(", ");
            b.append("\"reads\": ").append(r.reads());
            b.append(i + 1 < results.size() ? "},\n" : "}\n");
        }
        b.append("  ]\n}\n");
        return b.toString();
    }

    private static StringBuilder field(StringBuilder b, String name, String value) {
        b.append("  \"").append(name).append("\": \"");
        for (char ch : value.toCharArray()) {
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (ch < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
                    } else {
                        b.append(ch);
                    }
                }
            }
        }
        return b.append('"');
    }

    private static String num(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return "null";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return new java.math.BigDecimal(v).round(new java.math.MathContext(6)).stripTrailingZeros().toPlainString();
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
