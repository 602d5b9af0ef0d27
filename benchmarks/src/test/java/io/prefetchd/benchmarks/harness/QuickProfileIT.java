package io.prefetchd.benchmarks.harness;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs the harness end to end on the quick profile with a faster emulated S3 (10 ms) and checks that it completed
 * with sane numbers: every contender that ran read every sample of every epoch with the right bytes, all-local made
 * no GET, the no-cache contender made at least one GET per sample, the prefetchd contenders ran, and the JSON and
 * PNG were written. Never a timing threshold. s3fs and rclone may be skipped where FUSE is missing (the reason is
 * printed), and their reads may fail (s3fs returns ENOSPC when its whole-object cache outgrows c·D) but never
 * return wrong bytes.
 */
class QuickProfileIT {

    @Test
    void quickProfile_everyContenderReadsEverySampleCorrectly() throws Exception {
        Path out = Path.of("target", "bench-it");
        BenchCommand cmd = new BenchCommand();
        new CommandLine(cmd).parseArgs("--quick", "--latency-ms", "10", "--jitter-ms", "2", "--readers", "4",
                "--daemon-heap", "256m", "--out", out.toString());
        BenchCommand.Outcome o = cmd.execute();
        Report r = o.report();
        int samples = o.dataset().samples().size();
        assertTrue(samples > 100, "quick dataset has samples: " + samples);
        assertFalse(r.results().isEmpty(), "some contender ran");
        for (EpochResult e : r.results()) {
            String what = e.contender() + " epoch " + e.epoch();
            assertEquals(samples, e.samples(), what + ": samples asked");
            assertEquals(0, e.badBytes(), what + ": no sample read with wrong bytes");
            if (BenchCommand.MAY_FAIL_READS.contains(e.contender())) {
                // s3fs caches whole objects; with its cache folder bounded to c·D, reads can fail with ENOSPC
                System.out.println("QuickProfileIT: " + what + ": " + e.errors() + " failed reads (allowed for FUSE tools)");
                assertEquals(samples, e.samplesOk() + e.errors(), what + ": every sample read or failed");
                continue;
            }
            assertEquals(samples, e.samplesOk(), what + ": samples read with correct bytes (" + e.errors()
                    + " failed)");
            assertEquals(o.dataset().sampleBytes(), e.bytesRead(), what + ": bytes read");
            assertTrue(e.s3().getBytes() >= 0 && e.s3().gets() >= 0, what + ": S3 counters");
            assertTrue(e.wallSeconds() > 0, what + ": wall time");
            assertTrue(e.p50Millis() <= e.p99Millis(), what + ": p50 <= p99");
            if (e.contender().equals("all-local")) {
                assertEquals(0, e.s3().gets(), what + ": all-local makes no GET");
            }
            if (e.contender().equals("direct-get")) {
                assertTrue(e.s3().gets() >= samples, what + ": at least one GET per sample, got " + e.s3().gets());
                assertTrue(e.s3().getBytes() >= o.dataset().sampleBytes(), what + ": every sample's bytes from S3");
            }
        }
        Set<String> ran = r.results().stream().map(EpochResult::contender).collect(Collectors.toSet());
        for (String c : Set.of("all-local", "direct-get", "prefetchd-hints", "prefetchd-nohints", "prefetchd-lru")) {
            assertTrue(ran.contains(c), c + " ran (skipped: " + r.skipped().get(c) + ")");
            assertEquals(2, r.results().stream().filter(e -> e.contender().equals(c)).count(), c + ": 2 epochs");
        }
        for (Map.Entry<String, String> s : r.skipped().entrySet()) {
            System.out.println("QuickProfileIT: " + s.getKey() + " skipped: " + s.getValue());
            assertTrue(s.getKey().equals("s3fs") || s.getKey().equals("rclone"), "only FUSE contenders may skip");
        }
        assertTrue(Files.size(o.json()) > 0, "run.json written");
        assertTrue(Files.readString(o.json()).contains("\"results\""), "run.json has results");
        assertTrue(Files.size(o.png()) > 0, "run.png written");
    }
}
