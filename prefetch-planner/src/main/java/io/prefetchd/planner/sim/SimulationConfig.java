package io.prefetchd.planner.sim;

import java.time.Duration;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The simulated machine and the policies to run.
 *
 * @param cacheFraction           c: cache capacity as a fraction of the dataset's bytes
 * @param latency                 S3 time to first byte
 * @param bandwidthBytesPerSecond S3 aggregate bandwidth
 * @param concurrency             prefetch GETs in flight at most
 * @param readerBytesPerSecond    how fast the training job consumes data when nothing waits (all-local speed)
 * @param readerDepth             reads the DataLoader keeps outstanding (≈ workers)
 * @param warmupEpochs            epochs run but not measured (the first fills the cache)
 * @param hintLeadEpochs          how many epochs ahead orders are published to {@code ours-hints} (0: at the
 *                                epoch's start)
 * @param safetyMargin            the planner's Little's-law margin
 * @param policies                policies to run, in report order
 */
public record SimulationConfig(double cacheFraction, Duration latency, long bandwidthBytesPerSecond, int concurrency,
                               long readerBytesPerSecond, int readerDepth, int warmupEpochs, int hintLeadEpochs,
                               double safetyMargin, List<PolicyKind> policies) {

    public SimulationConfig {
        requireNonNull(latency, "latency is null");
        policies = List.copyOf(requireNonNull(policies, "policies is null"));
        if (!(cacheFraction >= 0 && cacheFraction <= 1)) {
            throw new IllegalArgumentException("cache fraction must be in [0, 1]: " + cacheFraction);
        }
        if (latency.isNegative()) {
            throw new IllegalArgumentException("latency is negative: " + latency);
        }
        if (bandwidthBytesPerSecond <= 0 || readerBytesPerSecond <= 0) {
            throw new IllegalArgumentException("bandwidth and reader throughput must be positive");
        }
        if (concurrency <= 0 || readerDepth <= 0) {
            throw new IllegalArgumentException("concurrency and reader depth must be positive");
        }
        if (warmupEpochs < 0 || hintLeadEpochs < 0) {
            throw new IllegalArgumentException("warm-up epochs and hint lead must not be negative");
        }
        if (!(safetyMargin >= 1)) {
            throw new IllegalArgumentException("safety margin must be >= 1: " + safetyMargin);
        }
        if (policies.isEmpty()) {
            throw new IllegalArgumentException("no policy to run");
        }
    }

    /**
     * The defaults of {@code prefetchd simulate}: c = 0.5, S3 at 40 ms and 120 MB/s with 64 GETs in flight, a
     * reader at 200 MB/s with 8 reads outstanding, 1 warm-up epoch, orders published one epoch ahead, margin 3,
     * every policy. At c = 0.5 the reader needs (1 − c) × 200 = 100 MB/s from S3, so 120 MB/s is 1.2× the need.
     */
    public static SimulationConfig defaults() {
        return new SimulationConfig(0.5, Duration.ofMillis(40), 120_000_000L, 64, 200_000_000L, 8, 1, 1, 3.0,
                List.of(PolicyKind.values()));
    }

    public SimulationConfig withCacheFraction(double c) {
        return new SimulationConfig(c, latency, bandwidthBytesPerSecond, concurrency, readerBytesPerSecond,
                readerDepth, warmupEpochs, hintLeadEpochs, safetyMargin, policies);
    }

    public SimulationConfig withBandwidth(long bytesPerSecond) {
        return new SimulationConfig(cacheFraction, latency, bytesPerSecond, concurrency, readerBytesPerSecond,
                readerDepth, warmupEpochs, hintLeadEpochs, safetyMargin, policies);
    }

    public SimulationConfig withPolicies(List<PolicyKind> list) {
        return new SimulationConfig(cacheFraction, latency, bandwidthBytesPerSecond, concurrency,
                readerBytesPerSecond, readerDepth, warmupEpochs, hintLeadEpochs, safetyMargin, list);
    }

    public SimulationConfig withReader(long bytesPerSecond, int depth) {
        return new SimulationConfig(cacheFraction, latency, bandwidthBytesPerSecond, concurrency, bytesPerSecond,
                depth, warmupEpochs, hintLeadEpochs, safetyMargin, policies);
    }

    public SimulationConfig withHintLead(int epochs) {
        return new SimulationConfig(cacheFraction, latency, bandwidthBytesPerSecond, concurrency,
                readerBytesPerSecond, readerDepth, warmupEpochs, epochs, safetyMargin, policies);
    }

    public SimulationConfig withStore(Duration firstByte, long bytesPerSecond, int inFlight) {
        return new SimulationConfig(cacheFraction, firstByte, bytesPerSecond, inFlight, readerBytesPerSecond,
                readerDepth, warmupEpochs, hintLeadEpochs, safetyMargin, policies);
    }
}
