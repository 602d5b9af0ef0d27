package io.prefetchd.gateway.reports;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.datasets.DatasetKind;
import io.prefetchd.gateway.datasets.DatasetRegistry;
import io.prefetchd.gateway.datasets.DemoBucket;
import io.prefetchd.gateway.datasets.ServedDataset;
import io.prefetchd.gateway.testing.ManualClock;
import io.prefetchd.planner.report.EpochEnd;
import io.prefetchd.planner.report.EpochLog;
import io.prefetchd.planner.report.EpochReport;
import io.prefetchd.planner.report.Reports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Reports are built off the caller's thread, kept within bounds, saved, reloaded, and never lost. */
class ReportStoreTest {
    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    /** An executor the test runs by hand: what was submitted waits until {@link #runAll}. */
    static final class ManualExecutor implements Executor {
        final Queue<Runnable> queue = new ArrayDeque<>();

        @Override
        public void execute(Runnable r) {
            queue.add(r);
        }

        void runAll() {
            for (Runnable r; (r = queue.poll()) != null; ) {
                r.run();
            }
        }
    }

    private final ManualExecutor executor = new ManualExecutor();

    private ReportStore store(int keep, int max) {
        return new ReportStore(dir, keep, max, executor, clock, registry);
    }

    private EpochLog epoch(ReportStore store, String dataset, String job, int epoch, boolean hinted, long seed) {
        EpochLog log = store.begin(dataset, job, epoch, epoch * 100_000 * ReportFixtures.MS,
                ReportFixtures.SAMPLES * ReportFixtures.SAMPLE_BYTES / 2,
                ReportFixtures.SAMPLES * ReportFixtures.SAMPLE_BYTES, hinted);
        ReportFixtures.record(log, ReportFixtures.permutation(new Random(seed)), new Random(seed));
        return log;
    }

    private static long files(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".json")).count();
        }
    }

    @Test
    void reports_ofAServedDataset_areNamedByPath_andFoundByPathOrId() throws Exception {
        try (ReportStore store = store(50, 100);
             DatasetRegistry served = new DatasetRegistry(DemoBucket.create(""), "", dir.resolve("indexes"), 2,
                     registry, clock)) {
            ServedDataset d = served.register("imagefolder/train", DatasetKind.IMAGEFOLDER, List.of());
            store.nameDatasetsWith(served::byId);
            EpochLog log = epoch(store, d.id(), "run1", 0, true, 1);
            assertEquals("imagefolder/train (imagefolder)", store.reports("imagefolder/train", null).get(0)
                    .datasetName(), "a partial report is named too");
            store.complete(log, ReportFixtures.dataset(), null);
            executor.runAll();

            List<EpochReport> byPath = store.reports("imagefolder/train", null);
            assertEquals(1, byPath.size());
            assertTrue(byPath.get(0).complete());
            assertEquals(d.id(), byPath.get(0).dataset(), "the id stays");
            assertEquals("imagefolder", byPath.get(0).datasetFormat());
            assertEquals(byPath, store.reports(d.id(), null));
            assertEquals(List.of(), store.reports("imagefolder", null));
            assertNotNull(registry.find("prefetchd.reports.no.wait.share").tag("dataset", d.id())
                    .tag("dataset_path", "imagefolder/train").gauge(), "the gauge is labelled with the path");
            List<EpochReport> persisted = ReportStore.readPersisted(dir, "imagefolder/train", null);
            assertEquals(1, persisted.size(), "saved with its name");
            assertEquals("imagefolder/train", persisted.get(0).datasetPath());
        }
    }

    @Test
    void noWaitGauge_loadedBeforeTheDatasetIsServed_isRelabelledWithItsPath() throws Exception {
        String id;
        try (DatasetRegistry served = new DatasetRegistry(DemoBucket.create(""), "", dir.resolve("indexes"), 2,
                registry, clock)) {
            id = served.register("imagefolder/train", DatasetKind.IMAGEFOLDER, List.of()).id();
            try (ReportStore first = store(50, 100)) {
                first.complete(epoch(first, id, "run1", 0, false, 1), ReportFixtures.dataset(), null);
                executor.runAll();
            }
            SimpleMeterRegistry restarted = new SimpleMeterRegistry();
            try (ReportStore store = new ReportStore(dir, 50, 100, executor, clock, restarted)) {
                assertNotNull(restarted.find("prefetchd.reports.no.wait.share").tag("dataset_path", "").gauge(),
                        "not served yet: no path");
                store.nameDatasetsWith(served::byId);
                store.datasetServed(id);
                assertEquals(1, restarted.find("prefetchd.reports.no.wait.share").gauges().size());
                assertNotNull(restarted.find("prefetchd.reports.no.wait.share").tag("dataset", id)
                        .tag("dataset_path", "imagefolder/train").gauge());
            }
        }
    }

    @Test
    void complete_simulatesOnTheExecutor_thenKeepsSavesAndReloads() throws Exception {
        try (ReportStore store = store(50, 100)) {
            EpochLog log = epoch(store, "imagenet", "run1", 1, true, 1);
            assertEquals(1, store.reports(null, null).size(), "a running epoch shows as a partial report");
            assertNull(store.reports(null, null).get(0).counterfactual());
            store.complete(log, ReportFixtures.dataset(), ReportFixtures.permutation(new Random(0)));
            assertEquals(1, executor.queue.size(), "the simulation waits for the executor");
            assertEquals("being simulated", store.reports(null, null).get(0).counterfactualNote());
            clock.advance(Duration.ofSeconds(5));
            executor.runAll();

            List<EpochReport> reports = store.reports(null, null);
            assertEquals(1, reports.size());
            EpochReport r = reports.get(0);
            assertTrue(r.complete());
            assertEquals("2026-01-01T00:00:05Z", r.finishedAt());
            assertEquals(0.5, r.counterfactual().opt().hitRatio(), 1e-12);
            assertTrue(r.counterfactual().warmedUp());
            assertEquals(1, files(dir));
            assertEquals(1.0, registry.get("prefetchd.reports.kept").gauge().value());
            assertEquals(r.noWaitShare(), registry.get("prefetchd.reports.no.wait.share").tag("dataset", "imagenet")
                    .gauge().value());
            try (ReportStore reopened = new ReportStore(dir, 50, 100, executor, clock, new SimpleMeterRegistry())) {
                assertEquals(reports, reopened.reports(null, null));
            }
        }
    }

    @Test
    void close_keepsARunningEpoch_asACompleteShutdownReportOfTheReadsItHad() throws Exception {
        EpochLog log;
        try (ReportStore store = store(50, 100)) {
            log = store.begin("d", "j", 3, 1_000, 100, 400, false);
            log.read(2_000, 0, 100, 0);
            log.read(3_000, 1, 100, 500);
            clock.advance(Duration.ofSeconds(7));
        }
        try (ReportStore reopened = store(50, 100)) {
            List<EpochReport> reports = reopened.reports("d", "j");
            assertEquals(1, reports.size(), reports.toString());
            EpochReport r = reports.get(0);
            assertTrue(r.complete());
            assertEquals(EpochEnd.SHUTDOWN, r.ended());
            assertEquals(3, r.epoch());
            assertEquals(2, r.samplesRead());
            assertEquals(3_500, r.endNanos(), "ends at its latest event: the last read's start plus its wait");
            assertEquals(clock.instant().toString(), r.finishedAt());
            assertEquals("not simulated: the daemon stopped during the epoch", r.counterfactualNote());
        }
        assertEquals(1, files(dir));
    }

    @Test
    void completeAfterClose_ofAnEpochCloseKept_storesNothingMore() throws Exception {
        ReportStore store = store(50, 100);
        EpochLog log = store.begin("d", "j", 0, 0, 100, 400, false);
        log.read(1, 0, 100, 0);
        store.close();
        log.end(5);
        store.complete(log, ReportFixtures.dataset(), null);
        executor.runAll();
        assertEquals(1, store.size());
        assertEquals(1, files(dir));
    }

    @Test
    void failingSimulation_keepsTheReportWithoutCounterfactual() {
        try (ReportStore store = store(50, 100)) {
            EpochLog log = store.begin("d", "j", 0, 0, 100, 400, false);
            log.read(0, 7, 100, 5); // the dataset has 4 samples
            log.end(10);
            store.complete(log, io.prefetchd.planner.SampleExtents.of(List.of(
                    List.of(new io.prefetchd.planner.Extent("a", 0, 100)),
                    List.of(new io.prefetchd.planner.Extent("b", 0, 100)),
                    List.of(new io.prefetchd.planner.Extent("c", 0, 100)),
                    List.of(new io.prefetchd.planner.Extent("e", 0, 100)))), null);
            executor.runAll();
            EpochReport r = store.reports("d", "j").get(0);
            assertNull(r.counterfactual());
            assertTrue(r.counterfactualNote().startsWith("not simulated: IllegalArgumentException"),
                    r.counterfactualNote());
            assertEquals(1, r.samplesRead());
            assertEquals(1.0, registry.get("prefetchd.reports.counterfactual.failures").counter().count());
        }
    }

    @Test
    void rejectedSimulation_keepsTheReportAtOnce() {
        Executor full = r -> {
            throw new RejectedExecutionException("full");
        };
        try (ReportStore store = new ReportStore(dir, 50, 100, full, clock, registry)) {
            EpochLog log = epoch(store, "d", "j", 0, false, 3);
            store.complete(log, ReportFixtures.dataset(), null);
            EpochReport r = store.reports(null, null).get(0);
            assertNull(r.counterfactual());
            assertEquals("not simulated: the simulation queue was full", r.counterfactualNote());
        }
    }

    @Test
    void keepsTheLastNPerJob_andAtMostMaxInAll_deletingOlderFiles() throws Exception {
        try (ReportStore store = store(2, 3)) {
            for (int e = 0; e < 4; e++) {
                store.complete(epoch(store, "d", "a", e, false, e), ReportFixtures.dataset(), null);
                executor.runAll();
                clock.advance(Duration.ofSeconds(1));
            }
            assertEquals(List.of(2, 3), store.reports("d", "a").stream().map(EpochReport::epoch).toList());
            store.complete(epoch(store, "d", "b", 0, false, 9), ReportFixtures.dataset(), null);
            store.complete(epoch(store, "other", "a", 0, false, 10), ReportFixtures.dataset(), null);
            executor.runAll();
            assertEquals(3, store.size());
            assertEquals(List.of(3), store.reports("d", "a").stream().map(EpochReport::epoch).toList());
            assertEquals(1, store.reports("other", null).size());
            assertEquals(2, store.reports(null, "a").size());
            assertEquals(3, files(dir));
        }
    }

    @Test
    void limit_keepsTheMostRecentCompleted_andEveryRunningEpoch() {
        try (ReportStore store = store(50, 100)) {
            for (int e = 0; e < 3; e++) {
                store.complete(epoch(store, e == 1 ? "other" : "d", "a", e, false, e), ReportFixtures.dataset(),
                        null);
                executor.runAll();
            }
            store.begin("d", "a", 3, 0, 1, 1, false);
            assertEquals(List.of(2, 3), store.reports(null, null, 1).stream().map(EpochReport::epoch).toList());
            assertEquals(List.of(0, 2, 3), store.reports("d", null, 2).stream().map(EpochReport::epoch).toList());
            assertEquals(4, store.reports(null, null, 0).size());
        }
    }

    @Test
    void unreadableFiles_areSkippedAtStart() throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("broken.json"), "{\"format\": \"prefetchd.epoch-reports/1\", \"reports\": [");
        Files.writeString(dir.resolve("notes.txt"), "not a report");
        EpochLog log = new EpochLog("d", "j", 0, 0, 0, 0, false);
        log.end(1);
        Files.writeString(dir.resolve("good.json"), Reports.toJson(List.of(Reports.withoutCounterfactual(log, ""))));
        try (ReportStore store = store(50, 100)) {
            assertEquals(1, store.size());
        }
        assertTrue(Files.exists(dir.resolve("broken.json")), "left for a person to look at");
    }

    @Test
    void readPersisted_filters_andFailsOnAMissingFolder() {
        try (ReportStore store = store(50, 100)) {
            store.complete(epoch(store, "d1", "a", 0, false, 1), ReportFixtures.dataset(), null);
            store.complete(epoch(store, "d2", "a", 0, true, 2), ReportFixtures.dataset(), null);
            executor.runAll();
        }
        assertEquals(2, ReportStore.readPersisted(dir, null, null).size());
        assertEquals("d2", ReportStore.readPersisted(dir, "d2", "a").get(0).dataset());
        assertEquals(0, ReportStore.readPersisted(dir, "d2", "b").size());
        assertThrows(java.io.UncheckedIOException.class,
                () -> ReportStore.readPersisted(dir.resolve("nope"), null, null));
    }

    @Test
    void close_keepsCompletedEpochsStillWaitingForTheirSimulation() {
        try (ReportStore store = store(50, 100)) {
            store.complete(epoch(store, "d", "j", 0, false, 1), ReportFixtures.dataset(), null);
            epoch(store, "d", "j", 1, false, 2); // ended, but complete() not called: still counts as waiting
        }
        List<EpochReport> saved = ReportStore.readPersisted(dir, null, null);
        assertEquals(2, saved.size());
        assertEquals("not simulated: the daemon stopped first", saved.get(0).counterfactualNote());
        executor.runAll(); // the simulation finishing late does not store it twice
        assertEquals(2, ReportStore.readPersisted(dir, null, null).size());
    }

    @Test
    void ownSimulationThread_buildsEveryReport_andCloseWaitsForThem() {
        try (ReportStore store = ReportStore.open(dir, 50, 100, clock, registry)) {
            for (int e = 0; e < 4; e++) {
                EpochLog log = store.begin("d", "j", e, 0, 100_000_000, 200_000_000, e > 0);
                ReportFixtures.record(log, ReportFixtures.permutation(new Random(e)), new Random(e));
                store.complete(log, ReportFixtures.dataset(), e == 0 ? null
                        : ReportFixtures.permutation(new Random(e - 1)));
            }
            EpochLog unended = store.begin("d", "j", 4, 0, 100_000_000, 200_000_000, true);
            unended.read(7, 1, 100_000, 3);
            store.complete(unended, ReportFixtures.dataset(), null);
        }
        List<EpochReport> saved = ReportStore.readPersisted(dir, null, null);
        assertEquals(List.of(0, 1, 2, 3, 4), saved.stream().map(EpochReport::epoch).sorted().toList());
        assertTrue(saved.stream().allMatch(r -> r.counterfactual() != null), "every simulation ran");
        EpochReport last = saved.stream().filter(r -> r.epoch() == 4).findFirst().orElseThrow();
        assertEquals(10, last.endNanos(), "a log completed without end() ends at its latest event");
    }

    @Test
    void safeFileNames_keepOnlyHarmlessCharacters() {
        String s = ReportStore.safe("../../etc/passwd Ω");
        assertTrue(s.matches("[A-Za-z0-9._-]+"), s);
        assertFalse(s.contains("/"));
    }
}
