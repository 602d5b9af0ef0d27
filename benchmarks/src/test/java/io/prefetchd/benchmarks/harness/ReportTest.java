package io.prefetchd.benchmarks.harness;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The epoch bound and the request counts in the printed table and in the JSON rows. */
class ReportTest {
    private static final long MIB = 1L << 20;

    private static EpochResult epoch(String contender, int epoch, double wall, S3Emulator.Counters s3) {
        return new EpochResult(contender, epoch, wall, 100, 100, 0, 0, 100 * MIB, 0, 1, 2, s3, Map.of(), Map.of());
    }

    /** all-local 1 s; direct-get: 70 MiB in 1,400 GETs; prefetchd: 50 MiB in 50 GETs, with HEADs and LISTs. */
    private static Report report() {
        List<EpochResult> rs = List.of(
                epoch("all-local", 1, 1.0, new S3Emulator.Counters(0, 0, 0, 0)),
                epoch("direct-get", 1, 4.4, new S3Emulator.Counters(1400, 70 * MIB, 0, 0)),
                epoch("prefetchd-hints", 1, 2.5, new S3Emulator.Counters(50, 50 * MIB, 1234, 56)));
        // 25 MiB/s aggregate, 350 GETs/s measured
        return new Report(rs, List.of(), Map.of(), 0.5, 100 * MIB, 25 * MIB, 350);
    }

    @Test
    void epochBound_usesTheEpochsOwnTraffic_andNamesTheBindingTerm() {
        Report r = report();
        EpochBound local = r.epochBound(r.results().get(0));
        EpochBound direct = r.epochBound(r.results().get(1));
        EpochBound hints = r.epochBound(r.results().get(2));
        assertEquals(EpochBound.Term.ALL_LOCAL, local.binding());
        assertEquals(EpochBound.Term.GETS, direct.binding());   // 1,400 / 350 = 4 s against 70 MiB / 25 = 2.8 s
        assertEquals(4.0, direct.seconds(), 1e-9);
        assertEquals(2.8, direct.bytesSeconds(), 1e-9);
        assertEquals(1.1, direct.ratio(4.4), 1e-9);
        assertEquals(EpochBound.Term.BYTES, hints.binding());  // 50 MiB at 25 MiB/s = 2 s
        assertEquals(1.25, hints.ratio(2.5), 1e-9);
    }

    @Test
    void printCpu_splitsEachEpochsCpuPerSampleByProcessAndThreadGroup() {
        EpochResult r = new EpochResult("prefetchd-hints", 1, 2.0, 1000, 1000, 0, 0, 100 * MIB, 0, 1, 2,
                new S3Emulator.Counters(0, 0, 0, 0), Map.of(), Map.of("daemon/prefetchd-nfs-w", 1.5,
                "daemon/prefetchd-planner", 0.5, "harness/S3Proxy-Jetty", 3.0, "harness/" + Workload.READERS, 0.25,
                "harness/C2 CompilerThre", 0.75));
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        new Report(List.of(r), List.of(), Map.of(), 0.5, 100 * MIB, 25 * MIB, 350)
                .printCpu(new PrintStream(buf, true, StandardCharsets.UTF_8), 4);
        String line = buf.toString(StandardCharsets.UTF_8).split("\n")[1];
        // total, daemon, emulated S3, readers, rest of the harness: ms per sample over 1,000 samples; then 6 CPU s
        // in a 2 s epoch on 4 cores: 75% busy
        assertTrue(line.matches("prefetchd-hints\\s+1\\s+6\\.00\\s+2\\.00\\s+3\\.00\\s+0\\.25\\s+0\\.75\\s+75%\\s+"
                + "prefetchd-nfs-w 1\\.50, prefetchd-planner 0\\.50"), line);
    }

    @Test
    void printTable_showsHeadsListsAndTheBoundWithItsTerm() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        report().printTable(new PrintStream(buf, true, StandardCharsets.UTF_8));
        String[] lines = buf.toString(StandardCharsets.UTF_8).split("\n");
        assertTrue(lines[0].contains("HEADs") && lines[0].contains("LISTs") && lines[0].contains("/epoch bound"),
                lines[0]);
        assertTrue(lines[0].contains("/bound") && lines[0].contains("S3/(1-c)D"), "existing columns kept: " + lines[0]);
        String hints = lines[4];
        assertTrue(hints.startsWith("prefetchd-hints"), hints);
        assertTrue(hints.matches(".*\\s50\\s+1234\\s+56\\s.*"), "GETs, HEADs, LISTs: " + hints);
        assertTrue(hints.contains("1.25 bandwidth"), hints);
        assertTrue(lines[2].contains("1.00 all-local"), lines[2]);
        assertTrue(lines[3].contains("1.10 GET rate"), lines[3]);
    }

    @Test
    void rows_carryTheBoundItsTermsAndTheRequestCounts() {
        Map<String, Object> hints = report().rows().get(2);
        assertEquals(1234L, hints.get("s3_heads"));
        assertEquals(56L, hints.get("s3_lists"));
        assertEquals(1.25, (Double) hints.get("time_vs_epoch_bound"), 1e-9);
        @SuppressWarnings("unchecked")
        Map<String, Object> bound = (Map<String, Object>) hints.get("epoch_bound");
        assertEquals("bandwidth", bound.get("binding"));
        assertEquals(2.0, (Double) bound.get("seconds"), 1e-9);
        assertEquals(1.0, (Double) bound.get("all_local_seconds"), 1e-9);
        assertEquals(50 / 350.0, (Double) bound.get("s3_gets_at_get_rate_seconds"), 1e-9);
    }

    @Test
    void epochBound_withoutAMeasuredRate_hasNoGetTerm() {
        EpochResult direct = epoch("direct-get", 1, 4.0, new S3Emulator.Counters(700, 0, 0, 0));
        Report r = new Report(List.of(direct), List.of(), Map.of(), 0.5, 100 * MIB, 0);
        assertNull(r.epochBound(direct));
        assertNull(r.rows().get(0).get("time_vs_epoch_bound"));
    }
}
