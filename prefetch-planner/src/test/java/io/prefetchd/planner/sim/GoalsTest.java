package io.prefetchd.planner.sim;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The planner's goals, measured by simulation: c = 0.5 on random permutations, S3 at 40 ms first byte, a reader
 * at 200 MB/s, so the reader needs (1 − c) × 200 = 100 MB/s from S3; 20,000 samples of 100 kB (D = 2 GB),
 * 5 epochs of which the first warms the cache up. Simulated time only.
 */
final class GoalsTest {
    private static final double C = 0.5;
    private static final long D = 2_000_000_000L;
    private static final long NEED = 100_000_000L;

    private static Workload random() {
        return Workloads.randomPermutations(20_000, 100_000, 5, new Random(42));
    }

    private static SimulationConfig at(long bandwidth, PolicyKind policy) {
        return SimulationConfig.defaults().withCacheFraction(C).withBandwidth(bandwidth).withPolicies(List.of(policy));
    }

    @Test
    void withHints_atBandwidth1_2xNeed_s3BytesPerEpochWithin2PercentOfTheBound_and99PercentOfReadsDoNotWait() {
        PolicyResult r = Simulator.run(random(), at(NEED * 12 / 10, PolicyKind.HINTS)).result(PolicyKind.HINTS);
        assertTrue(r.s3BytesPerEpoch() <= 1.02 * (1 - C) * D, "S3 bytes per epoch " + r.s3BytesPerEpoch());
        assertTrue(r.noWaitRatio() >= 0.99, "reads not waiting " + r.noWaitRatio());
    }

    @Test
    void withoutHints_hitRatioAtLeast95PercentOfC() {
        PolicyResult r = Simulator.run(random(), at(NEED * 12 / 10, PolicyKind.LEARNED)).result(PolicyKind.LEARNED);
        assertTrue(r.hitRatio() >= 0.95 * C, "hit ratio " + r.hitRatio());
    }

    @Test
    void withHints_bandwidthBelowNeed_epochTimeWithin5PercentOfTheS3Bound() {
        long bandwidth = NEED * 8 / 10;
        SimulationReport report = Simulator.run(random(), at(bandwidth, PolicyKind.HINTS));
        double bound = (1 - C) * D / bandwidth; // 12.5 s: S3 never idle while a needed byte is missing
        double epoch = report.result(PolicyKind.HINTS).epochSeconds();
        assertTrue(epoch <= 1.05 * bound, "epoch " + epoch + " s vs bound " + bound + " s");
        assertTrue(epoch >= bound, "cannot beat the bound: " + epoch);
    }

    @ParameterizedTest
    @ValueSource(strings = {"webdataset", "ranks", "parquet", "repeated"})
    void withHints_otherWorkloads_99PercentOfReadsDoNotWait(String kind) {
        Random random = new Random(42);
        Workload w = switch (kind) {
            case "webdataset" -> Workloads.webDataset(20_000, 100_000, 256, 4, random);
            case "ranks" -> Workloads.ranks(20_000, 100_000, 256, 4, 4, random);
            case "parquet" -> Workloads.parquet(20_000, 100_000, 64, 4, random);
            default -> Workloads.repeated(20_000, 100_000, 4, random);
        };
        SimulationReport report = Simulator.run(w, at(NEED * 12 / 10, PolicyKind.HINTS));
        PolicyResult r = report.result(PolicyKind.HINTS);
        assertTrue(r.noWaitRatio() >= 0.99, kind + ": reads not waiting " + r.noWaitRatio());
        assertTrue(r.hitRatio() >= 0.95 * C, kind + ": hit ratio " + r.hitRatio());
    }

    @Test
    void withoutHints_repeatedOrder_isReplayed_andReadsStopWaiting() {
        Workload w = Workloads.repeated(20_000, 100_000, 4, new Random(42));
        PolicyResult r = Simulator.run(w, at(NEED * 12 / 10, PolicyKind.LEARNED)).result(PolicyKind.LEARNED);
        assertTrue(r.noWaitRatio() >= 0.99, "reads not waiting " + r.noWaitRatio());
    }

    @Test
    void withoutHints_streamedShards_readAhead_andKeepC() {
        Workload w = Workloads.ranks(20_000, 100_000, 256, 4, 4, new Random(42));
        PolicyResult r = Simulator.run(w, at(NEED * 12 / 10, PolicyKind.LEARNED)).result(PolicyKind.LEARNED);
        assertTrue(r.hitRatio() >= 0.95 * C, "hit ratio " + r.hitRatio());
        assertTrue(r.noWaitRatio() >= 0.95, "reads not waiting " + r.noWaitRatio());
    }
}
