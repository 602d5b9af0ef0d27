package io.prefetchd.planner.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.prefetchd.planner.EpochOrder;
import io.prefetchd.planner.Extent;
import io.prefetchd.planner.SampleExtents;
import io.prefetchd.planner.report.EpochLog;
import io.prefetchd.planner.report.EpochReport;
import io.prefetchd.planner.report.Reports;
import io.prefetchd.tracer.AccessTracer;
import io.prefetchd.tracer.Outcome;
import io.prefetchd.tracer.TracerConfig;
import io.prefetchd.tracer.TracerListener;
import io.prefetchd.tracer.cli.TraceCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The simulator replays the tracer's own files: Arrow, or the CSV {@code trace export} makes of them, to the same
 * workload; and an epoch replayed the way reports replay it gives the report's LRU and OPT figures.
 */
class TraceReplayTest {
    private static final int SAMPLES = 40;
    private static final long SAMPLE_BYTES = 10_000;
    /** Sample s is bytes [s * 10,000, (s + 1) * 10,000) of shard s / 10, after a 512-byte header. */
    private static final SampleExtents DATASET;

    static {
        List<List<Extent>> samples = new ArrayList<>();
        for (int s = 0; s < SAMPLES; s++) {
            samples.add(List.of(new Extent(key(s) + "@\"e\"", offset(s), SAMPLE_BYTES)));
        }
        DATASET = SampleExtents.of(samples);
    }

    @TempDir
    Path state;

    private static String key(int sample) {
        return "train/shard-" + sample / 10 + ".tar";
    }

    private static long offset(int sample) {
        return 512 + (sample % 10) * SAMPLE_BYTES;
    }

    /** Three hinted epochs of job run1, each sample read in two READs, with a header read before each shard. */
    private List<int[]> record() {
        AtomicLong clock = new AtomicLong(1_000_000_000L);
        List<int[]> orders = new ArrayList<>();
        try (AccessTracer t = AccessTracer.start(TracerConfig.defaults(state).withFsync(false), clock::get,
                command -> {
                    Thread th = new Thread(command, "test-tracer-writer");
                    th.setDaemon(true);
                    th.start();
                }, TracerListener.NONE)) {
            for (int epoch = 0; epoch < 3; epoch++) {
                List<Integer> order = new ArrayList<>();
                for (int s = 0; s < SAMPLES; s++) {
                    order.add(s);
                }
                Collections.shuffle(order, new Random(epoch));
                orders.add(order.stream().mapToInt(Integer::intValue).toArray());
                t.beginEpoch("imagenet", "run1", epoch);
                for (int s : order) {
                    clock.addAndGet(1_000_000);
                    t.record("imagenet", "run1", 0, 7, "10.0.0.7:800", key(s), "e", 1, -1, 0, 512, Outcome.CACHE_HIT,
                            0); // a header: no sample
                    t.record("imagenet", "run1", 0, 7, "10.0.0.7:800", key(s), "e", 1, s, offset(s), 6000,
                            Outcome.S3_WAIT, 1000);
                    t.record("imagenet", "run1", 0, 7, "10.0.0.7:800", key(s), "e", 1, s, offset(s) + 6000, 4000,
                            Outcome.CACHE_HIT, 0);
                }
                t.endEpoch("imagenet", "run1");
            }
        }
        return orders;
    }

    @Test
    void arrowFolder_andExportedCsv_replayTheSameWorkload() throws Exception {
        List<int[]> orders = record();
        TraceReplay.Replay fromArrow = TraceReplay.read(List.of(state.resolve("traces")), null, null);
        assertEquals(3, fromArrow.workload().epochs().size());
        for (int e = 0; e < 3; e++) {
            EpochOrder got = fromArrow.workload().epochs().get(e);
            assertEquals(2 * SAMPLES, got.size(), "two READs a sample, headers left out");
            for (int k = 0; k < SAMPLES; k++) {
                assertEquals(orders.get(e)[k], got.sampleAt(2 * k));
                assertEquals(orders.get(e)[k], got.sampleAt(2 * k + 1));
            }
        }
        assertEquals(List.of(new Extent("train/shard-1.tar@\"e\"", offset(13), SAMPLE_BYTES)),
                fromArrow.workload().dataset().extentsOf(13), "a sample is the bytes its reads covered");

        Path csv = state.resolve("epoch-1.csv");
        StringWriter out = new StringWriter();
        assertEquals(0, TraceCommand.run(new String[] {"--state-dir", state.toString(), "export", "imagenet/run1/1",
                "--csv", "-o", csv.toString()}, new PrintWriter(out, true), new PrintWriter(out, true)), out.toString());
        TraceReplay.Replay fromCsv = TraceReplay.read(List.of(csv), null, null);
        assertEquals(1, fromCsv.workload().epochs().size());
        EpochOrder a = fromArrow.workload().epochs().get(1);
        EpochOrder b = fromCsv.workload().epochs().get(0);
        for (int k = 0; k < a.size(); k++) {
            assertEquals(a.sampleAt(k), b.sampleAt(k));
        }
        assertEquals(fromArrow.workload().dataset().extentsOf(5), fromCsv.workload().dataset().extentsOf(5));
    }

    @Test
    void simulateOneEpoch_givesTheEpochReportsLruAndOptFigures() throws Exception {
        List<int[]> orders = record();
        long capacity = 150_000; // 15 of the 40 samples
        EpochLog log = new EpochLog("ds-1", "run1", 2, 0, capacity, SAMPLES * SAMPLE_BYTES, true);
        for (int s : orders.get(2)) { // what the executor logs: every READ of a sample
            log.read(1, s, 6000, 0);
            log.read(2, s, 4000, 0);
        }
        log.end(3);
        int[] previous = new LinkedHashSet<>(java.util.Arrays.stream(orders.get(1)).boxed().toList()).stream()
                .mapToInt(Integer::intValue).toArray();
        EpochReport report = Reports.build(log, DATASET, previous);

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(0, SimulateCommand.run(new String[] {"--trace", state.resolve("traces").toString(), "--epoch",
                "2", "--cache-size", Long.toString(capacity), "--policies", "lru,opt", "--json"},
                new PrintWriter(out, true), new PrintWriter(err, true)), err.toString());
        JsonNode policies = new ObjectMapper().readTree(out.toString()).get("policies");
        assertEquals(capacity, new ObjectMapper().readTree(out.toString()).get("capacityBytes").asLong());
        assertSame(report.counterfactual().lru(), policies.get(0));
        assertSame(report.counterfactual().opt(), policies.get(1));
        assertTrue(report.counterfactual().lru().hitRatio() < report.counterfactual().opt().hitRatio(),
                "a test where the two policies differ: " + report.counterfactual());
    }

    private static void assertSame(EpochReport.Policy expected, JsonNode got) {
        assertEquals(expected.hitRatio(), got.get("hitRatio").asDouble(), 1e-12, got.toString());
        assertEquals(expected.s3Bytes(), Math.round(got.get("s3BytesPerEpoch").asDouble()), got.toString());
        assertEquals(expected.s3Gets(), Math.round(got.get("requestsPerEpoch").asDouble()), got.toString());
    }

    @Test
    void traceOfTwoDatasets_isRefusedNamingThem() throws Exception {
        AtomicLong clock = new AtomicLong(1);
        try (AccessTracer t = AccessTracer.start(TracerConfig.defaults(state).withFsync(false), clock::get,
                command -> new Thread(command).start(), TracerListener.NONE)) {
            t.record("a", "j", 0, 1, "", "k", "e", 1, 0, 0, 10, Outcome.CACHE_HIT, 0);
            t.record("b", "j", 0, 1, "", "k", "e", 1, 0, 0, 10, Outcome.CACHE_HIT, 0);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TraceReplay.read(List.of(state.resolve("traces")), null, null));
        assertTrue(e.getMessage().contains("2 datasets [a, b]"), e.getMessage());
    }

    @Test
    void traceWithoutSamples_isRefused() throws Exception {
        AtomicLong clock = new AtomicLong(1);
        try (AccessTracer t = AccessTracer.start(TracerConfig.defaults(state).withFsync(false), clock::get,
                command -> new Thread(command).start(), TracerListener.NONE)) {
            t.record("a", "j", 1, "", "k", "e", 1, 0, 10, Outcome.CACHE_HIT, 0);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TraceReplay.read(List.of(state.resolve("traces")), null, null));
        assertTrue(e.getMessage().contains("no read with a sample number"), e.getMessage());
        assertTrue(Files.exists(state.resolve("traces")));
    }
}
