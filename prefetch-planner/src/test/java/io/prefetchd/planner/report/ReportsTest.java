package io.prefetchd.planner.report;

import io.prefetchd.planner.Extent;
import io.prefetchd.planner.SampleExtents;
import io.prefetchd.planner.report.EpochReport.Bucket;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.*;

/** Pinned numbers on small hand-made logs, the counterfactual against the theory, the formats. */
final class ReportsTest {
    private static final long MS = 1_000_000L;

    /** {@code n} samples of {@code size} bytes, one object each. */
    static SampleExtents dataset(int n, long size) {
        List<List<Extent>> samples = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            samples.add(List.of(new Extent("shard/" + i, 0, size)));
        }
        return SampleExtents.of(samples);
    }

    static int[] permutation(int n, Random random) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }

    /**
     * 4 samples of 100 B, cache 200 B. Sample 0 and 2 are served without waiting (0 from the cache, 2 prefetched),
     * 1 waits 5 ms and 3 waits 20 ms on demand GETs.
     */
    static EpochLog fourReads() {
        EpochLog log = new EpochLog("imagenet", "job-a", 3, 1_000 * MS, 200, 400, true);
        log.planned(4, 200);
        log.fetch(1_002 * MS, 1_006 * MS, "shard/2", 0, 100, 100, false, true);
        log.read(1_000 * MS, 0, 100, 0);
        log.read(1_010 * MS, 1, 100, 5 * MS);
        log.fetch(1_010 * MS, 1_015 * MS, "shard/1", 0, 100, 100, true, true);
        log.read(1_020 * MS, 2, 100, 0);
        log.read(1_030 * MS, 3, 100, 20 * MS);
        log.fetch(1_030 * MS, 1_050 * MS, "shard/3", 0, 100, 100, true, true);
        log.end(1_100 * MS);
        return log;
    }

    @Test
    void fourReads_knownWaits_pinP99HitRatioAndNoWaitShare() {
        EpochReport r = Reports.build(fourReads(), dataset(4, 100), null);
        assertEquals(4, r.samplesRead());
        assertEquals(400, r.bytesRead());
        assertEquals(0.25, r.hitRatio(), 1e-12); // 300 of 400 bytes came from S3 this epoch
        assertEquals(0.5, r.noWaitShare(), 1e-12);
        assertEquals(2, r.readsWaited());
        assertEquals(0.025, r.waitTotalSeconds(), 1e-12);
        assertEquals(0.020, r.waitP99Seconds(), 1e-12); // nearest rank ⌈0.99·4⌉ = 4: the largest
        assertEquals(0.020, r.waitMaxSeconds(), 1e-12);
        assertEquals(3, r.s3Gets());
        assertEquals(2, r.s3GetsDemand());
        assertEquals(1, r.s3GetsPrefetch());
        assertEquals(300, r.s3Bytes());
        assertEquals(200, r.s3BytesDemand());
        assertEquals(0.75, r.readAmplification(), 1e-12);
        assertEquals(200, r.boundBytes());
        assertEquals(0.5, r.cacheFraction(), 1e-12);
        assertEquals(0.1, r.durationSeconds(), 1e-12);
        assertEquals(4, r.plannedSamples());
        assertEquals(1.5, r.s3BytesVsPlanned(), 1e-12);
        assertTrue(r.complete());
        assertFalse(r.traceTruncated());
    }

    @Test
    void p99_ofHundredReads_isTheNinetyNinthSmallest() {
        EpochLog log = new EpochLog("d", "j", 0, 0, 0, 0, false);
        for (int i = 1; i <= 100; i++) {
            log.read(i, i, 1, i <= 50 ? 0 : i * MS); // 50 waitless, then 51..100 ms
        }
        log.end(200);
        EpochReport r = Reports.withoutCounterfactual(log, "");
        assertEquals(0.099, r.waitP99Seconds(), 1e-12);
        assertEquals(0.5, r.noWaitShare(), 1e-12);
    }

    @Test
    void unusedPrefetch_isNotAHit_andLowersNothingBelowZero() {
        EpochLog log = new EpochLog("d", "j", 0, 0, 100, 200, true);
        log.fetch(0, 10, "a", 0, 150, 150, false, true);
        log.prefetchedUnused(50);
        log.read(20, 0, 100, 0);
        log.end(30);
        EpochReport r = Reports.withoutCounterfactual(log, "");
        assertEquals(0.0, r.hitRatio(), 1e-12); // 150 fetched − 50 unused = 100 of 100 bytes read came from S3
        assertEquals(50, r.prefetchedUnusedBytes());
    }

    @Test
    void opt_onRandomPermutation_atHalfCache_hitsC_whenThePreviousEpochWarmsUp() {
        int n = 2_000;
        Random random = new Random(7);
        int[] previous = permutation(n, random);
        int[] order = permutation(n, random);
        EpochLog log = new EpochLog("d", "j", 1, 0, n * 500L, n * 1_000L, true);
        for (int i = 0; i < n; i++) {
            log.read(i * MS, order[i], 1_000, 0);
        }
        log.end(n * MS);
        EpochReport r = Reports.build(log, dataset(n, 1_000), previous);
        EpochReport.Counterfactual cf = r.counterfactual();
        assertTrue(cf.warmedUp());
        assertEquals(n, cf.reads());
        assertEquals(0.5, cf.opt().hitRatio(), 1e-12);
        assertEquals(1_000_000, cf.opt().s3Bytes()); // (1 − c)·D exactly
        assertEquals(1_000, cf.opt().s3Gets());
        double lruTheory = 0.5 + 0.5 * Math.log(0.5); // 0.153
        assertEquals(lruTheory, cf.lru().hitRatio(), 0.03);
        assertEquals(r.boundBytes(), cf.opt().s3Bytes());
    }

    @Test
    void counterfactual_ofALongEpoch_isEstimatedOnASpatialSample() {
        int n = 20_000;
        Random random = new Random(5);
        int[] previous = permutation(n, random);
        int[] order = permutation(n, random);
        EpochLog log = new EpochLog("d", "j", 1, 0, n * 500L, n * 1_000L, true);
        for (int i = 0; i < n; i++) {
            log.read(i, order[i], 1_000, 0);
        }
        log.end(n);
        EpochReport r = Reports.build(log, dataset(n, 1_000), previous, 2_000);
        EpochReport.Counterfactual cf = r.counterfactual();
        assertEquals(0.1, cf.sampleRate(), 0.01);
        assertEquals(Math.round(cf.sampleRate() * n), cf.reads());
        assertEquals(0.5, cf.opt().hitRatio(), 0.02);
        assertEquals(r.boundBytes(), cf.opt().s3Bytes(), 0.03 * r.boundBytes());
        assertEquals(0.5 + 0.5 * Math.log(0.5), cf.lru().hitRatio(), 0.03);
        assertEquals("estimated from a 9.52% spatial sample (1903 reads)", r.counterfactualNote());
        assertEquals(List.of(r), Reports.fromJson(Reports.toJson(List.of(r))));
    }

    @Test
    void spatialSample_keepsAboutTheRate() {
        int in = 0;
        for (int i = 0; i < 100_000; i++) {
            in += Reports.inSample(i, 0.25) ? 1 : 0;
        }
        assertEquals(25_000, in, 500);
    }

    @Test
    void counterfactual_withoutPreviousOrder_startsCold() {
        int n = 100;
        EpochLog log = new EpochLog("d", "j", 0, 0, n * 50L, n * 100L, false);
        int[] order = permutation(n, new Random(1));
        for (int i = 0; i < n; i++) {
            log.read(i, order[i], 100, 1);
        }
        log.end(n);
        EpochReport.Counterfactual cf = Reports.build(log, dataset(n, 100), null).counterfactual();
        assertFalse(cf.warmedUp());
        assertEquals(0.0, cf.opt().hitRatio());
        assertEquals(10_000, cf.lru().s3Bytes());
    }

    @Test
    void counterfactual_sampleOutsideTheDataset_throwsNamingIt() {
        EpochLog log = new EpochLog("d", "j", 0, 0, 100, 400, false);
        log.read(0, 9, 100, 0);
        log.end(1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Reports.build(log, dataset(4, 100), null));
        assertTrue(e.getMessage().contains("sample 9"), e.getMessage());
    }

    @Test
    void emptyEpoch_hasUndefinedRatios_andStillRendersEverywhere() {
        EpochLog log = new EpochLog("d", "j", 0, 5 * MS, 100, 400, false);
        log.end(5 * MS);
        EpochReport r = Reports.build(log, dataset(4, 100), null);
        assertEquals(0, r.samplesRead());
        assertTrue(Double.isNaN(r.hitRatio()));
        assertTrue(Double.isNaN(r.noWaitShare()));
        assertTrue(Double.isNaN(r.waitP99Seconds()));
        assertTrue(Double.isNaN(r.readAmplification()));
        assertEquals(0.0, r.durationSeconds());
        assertEquals(Reports.TIMELINE_BUCKETS, r.timeline().buckets().size());
        assertTrue(r.timeline().buckets().stream().allMatch(b -> b.equals(new Bucket(0, 0, 0, 0, 0, 0))));
        String json = Reports.toJson(List.of(r));
        assertTrue(json.contains("\"hit_ratio\": null"), json);
        assertEquals(List.of(r), Reports.fromJson(json));
        assertTrue(Reports.html(List.of(r)).contains("No timeline: the epoch recorded no reads and no GETs."));
        assertTrue(Reports.table(List.of(r)).contains(" - "));
    }

    @Test
    void json_roundTrip_isEqual_includingOddNamesAndPartialReports() {
        EpochReport full = Reports.build(fourReads(), dataset(4, 100), new int[] {3, 2, 1, 0})
                .withFinishedAt("2026-11-22T01:00:00Z");
        EpochLog running = new EpochLog("data \"set\" <1>\n", "jöb\\x", 0, 0, 1 << 20, 1 << 30, false);
        running.read(10, 0, 7, 3);
        running.fetch(1, 9, "o", 0, 7, 7, true, false);
        EpochReport partial = Reports.withoutCounterfactual(running, "epoch in progress");
        List<EpochReport> reports = List.of(full, partial);
        String json = Reports.toJson(reports);
        assertEquals(reports, Reports.fromJson(json));
        assertEquals(List.of(), Reports.fromJson(Reports.toJson(List.of())));
        assertFalse(partial.complete());
        assertEquals(1, partial.s3GetsFailed());
        assertEquals(0, partial.s3UsefulBytes());
    }

    @Test
    void datasetName_pathAndFormat_roundTripInJson_andShownInTableAndPage() {
        EpochReport r = Reports.build(fourReads(), dataset(4, 100), null).withDatasetName("imagefolder/train",
                "imagefolder");
        String json = Reports.toJson(List.of(r));
        assertTrue(json.contains("\"dataset_path\": \"imagefolder/train\""), json);
        assertTrue(json.contains("\"dataset_format\": \"imagefolder\""), json);
        assertEquals(List.of(r), Reports.fromJson(json));
        assertTrue(Reports.table(List.of(r)).contains("imagefolder/train (imagefolder) [" + r.dataset() + "]"));
        assertTrue(Reports.html(List.of(r)).contains("imagefolder/train (imagefolder)"));
    }

    @Test
    void fromJson_reportWrittenBeforeDatasetNames_hasNoName() {
        EpochReport r = Reports.build(fourReads(), dataset(4, 100), null);
        String json = Reports.toJson(List.of(r)).replaceAll("\"dataset_(path|format)\": \"\",\\s*", "");
        assertFalse(json.contains("dataset_path"), json);
        EpochReport read = Reports.fromJson(json).get(0);
        assertEquals("", read.datasetPath());
        assertEquals(r.dataset(), read.datasetName(), "the id stands in for the name");
    }

    @Test
    void isOfDataset_matchesIdPathAndName() {
        EpochReport r = Reports.build(fourReads(), dataset(4, 100), null).withDatasetName("imagefolder/train",
                "imagefolder");
        assertTrue(r.isOfDataset(r.dataset()));
        assertTrue(r.isOfDataset("imagefolder/train"));
        assertTrue(r.isOfDataset("/imagefolder/train/"));
        assertTrue(r.isOfDataset("imagefolder/train (imagefolder)"));
        assertFalse(r.isOfDataset("imagefolder"));
        EpochReport root = r.withDatasetName("", "parquet");
        assertTrue(root.isOfDataset("/"));
        assertEquals("/ (parquet)", root.datasetName());
    }

    @Test
    void json_namesCarryUnits() {
        String json = Reports.toJson(List.of(Reports.build(fourReads(), dataset(4, 100), null)));
        for (String name : new String[] {"dataset", "job", "epoch", "hinted", "complete", "finished_at",
                "start_nanos", "end_nanos", "duration_seconds", "dataset_bytes", "capacity_bytes", "cache_fraction",
                "bound_bytes", "samples_read", "read_bytes", "hit_ratio", "no_wait_share", "reads_waited",
                "wait_total_seconds", "wait_p99_seconds", "wait_max_seconds", "s3_gets", "s3_gets_demand",
                "s3_gets_prefetch", "s3_gets_failed", "s3_bytes", "s3_demand_bytes", "s3_prefetch_bytes",
                "s3_useful_bytes", "read_amplification", "prefetched_unused_bytes", "planned_samples",
                "planned_fetch_bytes", "plans", "trace_truncated", "counterfactual", "warmed_up", "lru", "opt",
                "counterfactual_note", "timeline", "bucket_seconds", "buckets", "reads_waited", "wait_seconds",
                "get_started_bytes", "get_completed_bytes", "gets_in_flight_max"}) {
            assertTrue(json.contains("\"" + name + "\": "), name);
        }
        assertTrue(json.startsWith("{\n  \"format\": \"prefetchd.epoch-reports/1\""), json);
    }

    @Test
    void fromJson_badInput_namesTheProblem() {
        String json = Reports.toJson(List.of(Reports.build(fourReads(), dataset(4, 100), null)));
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> Reports.fromJson(json.replace("\"s3_bytes\"", "\"s3_bytez\"")));
        assertTrue(missing.getMessage().contains("\"s3_bytes\" is missing"), missing.getMessage());
        IllegalArgumentException broken = assertThrows(IllegalArgumentException.class,
                () -> Reports.fromJson(json.substring(0, json.length() / 2)));
        assertTrue(broken.getMessage().startsWith("bad JSON at offset"), broken.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Reports.fromJson("[]"));
    }

    @Test
    void timeline_putsReadsWaitsAndGetsInTheirBuckets() {
        // 600 ms epoch, 60 buckets of 10 ms
        EpochLog log = new EpochLog("d", "j", 0, 0, 0, 0, false);
        log.read(5 * MS, 0, 1, 0);
        log.read(15 * MS, 1, 1, 2 * MS);
        log.read(599 * MS, 2, 1, 0);
        log.fetch(12 * MS, 35 * MS, "o", 0, 1_000, 1_000, false, true);
        log.fetch(20 * MS, 25 * MS, "o", 1_000, 500, 500, true, true);
        log.fetch(40 * MS, 50 * MS, "o", 1_500, 9, 9, false, false);
        log.end(600 * MS);
        List<Bucket> b = Reports.withoutCounterfactual(log, "").timeline().buckets();
        assertEquals(0.01, Reports.withoutCounterfactual(log, "").timeline().bucketSeconds(), 1e-12);
        assertEquals(new Bucket(1, 0, 0, 0, 0, 0), b.get(0));
        assertEquals(new Bucket(1, 1, 0.002, 1_000, 0, 1), b.get(1));
        assertEquals(new Bucket(0, 0, 0, 500, 500, 2), b.get(2));
        assertEquals(new Bucket(0, 0, 0, 0, 1_000, 1), b.get(3));
        assertEquals(new Bucket(0, 0, 0, 9, 0, 1), b.get(4)); // failed: started, never completed
        assertEquals(new Bucket(0, 0, 0, 0, 0, 1), b.get(5)); // it ended at 50 ms, the start of bucket 5
        assertEquals(new Bucket(0, 0, 0, 0, 0, 0), b.get(6));
        assertEquals(new Bucket(1, 0, 0, 0, 0, 0), b.get(59));
    }

    @Test
    void ended_saysWhatEndedTheEpoch_inJsonAndTable_andTheFirstEndWins() {
        EpochLog log = new EpochLog("d", "j", 0, 100, 0, 0, false);
        log.read(200, 0, 1, 50);
        EpochReport running = Reports.withoutCounterfactual(log, "");
        assertEquals(EpochEnd.RUNNING, running.ended());
        assertTrue(Reports.table(List.of(running)).contains("running"));
        log.endAtLatestEvent(EpochEnd.SHUTDOWN);
        log.end(5_000, EpochEnd.NEXT_EPOCH);
        EpochReport r = Reports.withoutCounterfactual(log, "");
        assertTrue(r.complete());
        assertEquals(EpochEnd.SHUTDOWN, r.ended());
        assertEquals(250, r.endNanos());
        String json = Reports.toJson(List.of(r));
        assertTrue(json.contains("\"ended\": \"shutdown\""), json);
        assertEquals(List.of(r), Reports.fromJson(json));
        assertTrue(Reports.table(List.of(r)).contains("shutdown"), Reports.table(List.of(r)));
        assertThrows(IllegalArgumentException.class, () -> log.end(1, EpochEnd.RUNNING));
    }

    @Test
    void fromJson_reportWrittenBeforeEnded_isUnknownWhenComplete_runningWhenNot() {
        EpochLog log = new EpochLog("d", "j", 0, 100, 0, 0, false);
        log.read(200, 0, 1, 50);
        String partial = Reports.toJson(List.of(Reports.withoutCounterfactual(log, ""))).replaceAll(
                "\"ended\": \"[a-z_]+\",\\s*", "");
        assertFalse(partial.contains("\"ended\""), partial);
        assertEquals(EpochEnd.RUNNING, Reports.fromJson(partial).get(0).ended());
        log.end(300);
        String done = Reports.toJson(List.of(Reports.withoutCounterfactual(log, ""))).replaceAll(
                "\"ended\": \"[a-z_]+\",\\s*", "");
        assertEquals(EpochEnd.UNKNOWN, Reports.fromJson(done).get(0).ended());
        assertThrows(IllegalArgumentException.class, () -> Reports.fromJson(Reports.toJson(List.of(
                Reports.withoutCounterfactual(log, ""))).replace("\"next_epoch\"", "\"later\"")));
    }

    @Test
    void runningEpoch_endsAtItsLatestEvent() {
        EpochLog log = new EpochLog("d", "j", 0, 100, 0, 0, false);
        log.read(200, 0, 1, 50);
        EpochReport r = Reports.withoutCounterfactual(log, "epoch in progress");
        assertFalse(r.complete());
        assertEquals(250, r.endNanos());
        log.end(1_000);
        log.end(2_000);
        assertEquals(1_000, Reports.withoutCounterfactual(log, "").endNanos());
    }

    @Test
    void hugeLog_staysWithinTwentyBytesARead_plusOneChunk() {
        int n = 3_000_000;
        EpochLog log = new EpochLog("d", "j", 0, 0, 0, 0, false);
        for (int i = 0; i < n; i++) {
            log.read(i, i % 1000, 100_000, i % 50 == 0 ? 1_000 : 0);
        }
        long perRead = 20;
        assertTrue(log.retainedBytes() <= n * perRead + EpochLog.CHUNK * perRead, "" + log.retainedBytes());
        log.end(n);
        EpochReport r = Reports.withoutCounterfactual(log, "");
        assertEquals(n, r.samplesRead());
        assertEquals(0.98, r.noWaitShare(), 1e-12);
        assertEquals(1e-6, r.waitP99Seconds(), 1e-15);
    }

    @Test
    void pastMaxEvents_countsEverything_keepsAPrefix_andSaysSo() {
        EpochLog log = new EpochLog("d", "j", 0, 0, 200, 400, false, 1_000);
        for (int i = 0; i < 5_000; i++) {
            log.read(i, i % 4, 100, 0);
            log.fetch(i, i + 1, "o", 0, 10, 10, false, true);
        }
        log.end(5_000);
        assertTrue(log.retainedBytes() <= 2L * EpochLog.CHUNK * 25, "" + log.retainedBytes());
        EpochReport r = Reports.build(log, dataset(4, 100), null);
        assertTrue(r.traceTruncated());
        assertEquals(5_000, r.samplesRead());
        assertEquals(5_000, r.s3Gets());
        assertEquals(1_000, r.counterfactual().reads());
        assertEquals("over the first 1000 of 5000 reads", r.counterfactualNote());
    }

    @Test
    void concurrentWriters_loseNothing() throws Exception {
        EpochLog log = new EpochLog("d", "j", 0, 0, 0, 0, false);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 50_000; i++) {
                        log.read(i, thread, 2, i % 2);
                        log.fetch(i, i + 1, "o", 0, 3, 3, false, true);
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        log.end(50_000);
        EpochReport r = Reports.withoutCounterfactual(log, "");
        assertEquals(200_000, r.samplesRead());
        assertEquals(400_000, r.bytesRead());
        assertEquals(100_000, r.readsWaited());
        assertEquals(600_000, r.s3Bytes());
        assertEquals(200_000, r.timeline().buckets().stream().mapToLong(Bucket::reads).sum());
    }

    @Test
    void badRecorderInput_isRejected() {
        EpochLog log = new EpochLog("d", "j", 0, 0, 0, 0, false);
        assertThrows(IllegalArgumentException.class, () -> log.read(0, -1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> log.read(0, 1, 1, -5));
        assertThrows(IllegalArgumentException.class, () -> log.fetch(5, 4, "o", 0, 1, 1, false, true));
        assertThrows(IllegalArgumentException.class, () -> log.fetch(0, 4, "o", 0, 1, 2, false, true));
        assertThrows(IllegalArgumentException.class, () -> new EpochLog("d", "j", -1, 0, 0, 0, false));
    }

    @Test
    void table_listsEveryEpoch_withItsNumbers() {
        String t = Reports.table(List.of(Reports.build(fourReads(), dataset(4, 100), null)));
        assertTrue(t.startsWith("imagenet / job-a: D = 400 B, cache 200 B (c = 0.50), (1-c)*D = 200 B\n  reads\n"
                + "  epoch  hints  state"), t);
        assertTrue(t.lines().allMatch(l -> l.length() <= 120), t);
        assertTrue(t.contains("25.0%") && t.contains("50.0%") && t.contains("20.0 ms") && t.contains("300 B"), t);
        assertEquals("no epoch reports yet\n", Reports.table(List.of()));
    }

    @Test
    void html_isSelfContained_andEscapesNames() {
        EpochLog log = new EpochLog("<script>alert(1)</script>", "j&b", 0, 0, 100, 400, false);
        log.read(0, 0, 100, 0);
        log.end(10);
        String html = Reports.html(List.of(Reports.build(fourReads(), dataset(4, 100), null),
                Reports.withoutCounterfactual(log, "epoch in progress")));
        assertFalse(html.contains("<script"), "no script, and names are escaped");
        assertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assertTrue(html.contains("j&amp;b"));
        assertFalse(html.contains("src="));
        assertFalse(html.contains("<link"));
        assertFalse(html.contains("url("));
        assertEquals(2, count(html, "<svg class=\"timeline\""));
        assertEquals(2, count(html, "<svg class=\"policies\""));
        assertEquals(4 + 2, count(html, "class=\"policy-bar\""));
        assertEquals(2 * Reports.TIMELINE_BUCKETS, count(html, "class=\"bar-waited\""));
    }

    static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
