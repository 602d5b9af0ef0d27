package io.prefetchd.tracer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Epoch boundaries: coverage, idle gap, hints, rollover of files; all on a manual clock. */
class EpochInferenceTest {
    @TempDir
    Path state;

    private final ManualClock clock = new ManualClock();
    private final Tracers.Recorder listener = new Tracers.Recorder();
    private AccessTracer tracer;

    private AccessTracer start() {
        tracer = AccessTracer.start(Tracers.config(state), clock, Tracers.THREADS, listener);
        return tracer;
    }

    @AfterEach
    void close() {
        if (tracer != null) {
            tracer.close();
        }
    }

    private List<ReadRecord> epoch(String dataset, String job, int n) throws IOException {
        TraceStore store = TraceStore.open(state);
        return store.readAll(store.epoch(dataset, job, n).orElseThrow(() -> new AssertionError("no epoch " + n)));
    }

    private List<String> epochIds() throws IOException {
        return TraceStore.open(state).epochs().stream().map(EpochTrace::id).toList();
    }

    private static List<Long> offsets(List<ReadRecord> reads) {
        return reads.stream().map(ReadRecord::offset).toList();
    }

    @Test
    void coverage_bytesReachingTheDatasetSize_endTheEpochAfterThatRead() throws Exception {
        AccessTracer t = start();
        t.datasetSize("ds", 1000);
        for (int i = 0; i < 25; i++) {
            clock.advance(Duration.ofMillis(10));
            Tracers.read(t, "ds", "k", (i % 10) * 100L, 100);
        }
        Tracers.await(t.flush());

        assertEquals(List.of("ds/job/0", "ds/job/1", "ds/job/2"), epochIds());
        assertEquals(10, epoch("ds", "job", 0).size(), "1000 bytes in reads of 100");
        assertEquals(10, epoch("ds", "job", 1).size());
        assertEquals(5, epoch("ds", "job", 2).size(), "still open");
        assertEquals(List.of("epoch-0.arrow:COVERAGE", "epoch-1.arrow:COVERAGE"), listener.closed);
        assertTrue(epoch("ds", "job", 1).stream().allMatch(r -> r.epoch() == 1), "the epoch column follows");
    }

    @Test
    void coverage_countsBytesReadNotDistinctBytes() throws Exception {
        AccessTracer t = start();
        t.datasetSize("ds", 300);
        Tracers.read(t, "ds", "k", 0, 100);
        Tracers.read(t, "ds", "k", 0, 100);
        Tracers.read(t, "ds", "k", 0, 100);
        Tracers.read(t, "ds", "k", 100, 100);
        Tracers.await(t.flush());
        assertEquals(3, epoch("ds", "job", 0).size());
        assertEquals(1, epoch("ds", "job", 1).size());
    }

    @Test
    void withoutSize_epochEndsOnlyByIdleGap() throws Exception {
        AccessTracer t = start();
        for (int i = 0; i < 5; i++) {
            Tracers.read(t, "ds", "k", i, 1 << 20);
        }
        clock.advance(Tracers.IDLE.minusNanos(1));
        Tracers.read(t, "ds", "k", 5, 1);
        clock.advance(Tracers.IDLE);
        Tracers.read(t, "ds", "k", 6, 1);
        Tracers.await(t.flush());

        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L), offsets(epoch("ds", "job", 0)),
                "a gap one nanosecond shorter than the idle gap keeps the epoch");
        assertEquals(List.of(6L), offsets(epoch("ds", "job", 1)), "a gap of exactly the idle gap ends it");
        assertEquals(List.of("epoch-0.arrow:IDLE"), listener.closed);
    }

    @Test
    void idleGap_closesTheFileWithoutAnotherRead() throws Exception {
        AccessTracer t = start();
        Tracers.read(t, "ds", "k", 0, 1);
        Tracers.await(t.flush());
        assertEquals(1, t.stats().openFiles());

        clock.advance(Tracers.IDLE);
        Tracers.await(t.flush());
        assertEquals(0, t.stats().openFiles());
        assertEquals(List.of("epoch-0.arrow:IDLE"), listener.closed);
        try (EpochReads reads = TraceStore.open(state).reads(TraceStore.open(state).resolve("ds/job/0"))) {
            reads.forEachRemaining(r -> { });
            assertTrue(!reads.truncated(), "closed with its footer");
        }
        Tracers.read(t, "ds", "k", 1, 1);
        Tracers.await(t.flush());
        assertEquals(List.of(1L), offsets(epoch("ds", "job", 1)));
    }

    @Test
    void streams_areSeparatePerDatasetAndJob() throws Exception {
        AccessTracer t = start();
        t.datasetSize("a", 2);
        t.record("a", "j1", 1, "", "k", "", 1, 0, 1, Outcome.CACHE_HIT, 0);
        t.record("a", "j2", 1, "", "k", "", 1, 0, 1, Outcome.CACHE_HIT, 0);
        t.record("b", "j1", 1, "", "k", "", 1, 0, 5, Outcome.CACHE_HIT, 0);
        t.record("a", "j1", 1, "", "k", "", 1, 1, 1, Outcome.CACHE_HIT, 0);
        t.record("a", "j1", 1, "", "k", "", 1, 2, 1, Outcome.CACHE_HIT, 0);
        Tracers.await(t.flush());
        assertEquals(List.of("a/j1/0", "a/j1/1", "a/j2/0", "b/j1/0"), epochIds());
        assertEquals(List.of(0L, 1L), offsets(epoch("a", "j1", 0)), "j2's read does not count toward j1");
    }

    @Test
    void hints_setTheEpochNumberAndBoundaries() throws Exception {
        AccessTracer t = start();
        t.datasetSize("ds", 100);
        t.beginEpoch("ds", "job", 5);
        Tracers.read(t, "ds", "k", 0, 100);
        Tracers.read(t, "ds", "k", 100, 100);
        t.endEpoch("ds", "job");
        t.beginEpoch("ds", "job", 6);
        Tracers.read(t, "ds", "k", 200, 10);
        t.beginEpoch("ds", "job", 7);
        Tracers.read(t, "ds", "k", 300, 10);
        Tracers.await(t.flush());

        assertEquals(List.of(0L, 100L), offsets(epoch("ds", "job", 5)), "a hinted epoch is not cut by coverage");
        assertEquals(List.of(200L), offsets(epoch("ds", "job", 6)));
        assertEquals(List.of(300L), offsets(epoch("ds", "job", 7)));
        assertEquals(List.of("epoch-5.arrow:END_HINT", "epoch-6.arrow:BEGIN_HINT"), listener.closed);
    }

    @Test
    void hint_adoptsTheInferredEpochOfTheSameNumber() throws Exception {
        AccessTracer t = start();
        Tracers.read(t, "ds", "k", 0, 1); // raced ahead of the hint
        t.beginEpoch("ds", "job", 0);
        Tracers.read(t, "ds", "k", 1, 1);
        t.endEpoch("ds", "job");
        Tracers.read(t, "ds", "k", 2, 1); // straggler before the next hint: inferred epoch 1
        t.beginEpoch("ds", "job", 1);
        Tracers.read(t, "ds", "k", 3, 1);
        t.endEpoch("ds", "job");
        Tracers.await(t.flush());

        assertEquals(List.of("ds/job/0", "ds/job/1"), epochIds());
        assertEquals(List.of(0L, 1L), offsets(epoch("ds", "job", 0)));
        assertEquals(List.of(2L, 3L), offsets(epoch("ds", "job", 1)));
    }

    @Test
    void hintedEpoch_idleClosesTheFileAndLaterReadsGoToANewPart() throws Exception {
        AccessTracer t = start();
        t.beginEpoch("ds", "job", 3);
        Tracers.read(t, "ds", "k", 0, 1);
        clock.advance(Tracers.IDLE.multipliedBy(2));
        Tracers.read(t, "ds", "k", 1, 1);
        Tracers.await(t.flush());

        EpochTrace e = TraceStore.open(state).epoch("ds", "job", 3).orElseThrow();
        assertEquals(List.of("epoch-3.arrow", "epoch-3.part2.arrow"),
                e.parts().stream().map(p -> p.path().getFileName().toString()).toList());
        assertEquals(List.of(0L, 1L), offsets(TraceStore.open(state).readAll(e)), "parts are read in order");
        assertEquals(List.of("epoch-3.arrow:IDLE"), listener.closed);
    }

    @Test
    void restart_continuesNumberingAfterExistingFiles() throws Exception {
        AccessTracer t = start();
        Tracers.read(t, "ds", "k", 0, 1);
        t.endEpoch("ds", "job");
        Tracers.read(t, "ds", "k", 1, 1);
        t.close();

        AccessTracer again = start();
        Tracers.read(again, "ds", "k", 2, 1);
        again.beginEpoch("ds", "job", 1); // the same hinted number again: a new part, nothing overwritten
        Tracers.read(again, "ds", "k", 3, 1);
        again.close();

        assertEquals(List.of("ds/job/0", "ds/job/1", "ds/job/2"), epochIds());
        assertEquals(List.of(2L), offsets(epoch("ds", "job", 2)));
        assertEquals(List.of(1L, 3L), offsets(epoch("ds", "job", 1)));
        assertTrue(Files.exists(state.resolve("traces/ds/job/epoch-1.part2.arrow")));
    }

    @Test
    void unsafeNames_becomeSafeFoldersAndStayExactInTheFile() throws Exception {
        AccessTracer t = start();
        t.record("s3://bucket/imagenet", "../../etc", 1, "", "k", "", 1, 0, 1, Outcome.CACHE_HIT, 0);
        Tracers.await(t.flush());
        EpochTrace e = TraceStore.open(state).epochs().get(0);
        assertTrue(e.parts().get(0).path().normalize().startsWith(state.resolve("traces")), e.toString());
        assertEquals(e, TraceStore.open(state).epoch("s3://bucket/imagenet", "../../etc", 0).orElseThrow());
        ReadRecord r = TraceStore.open(state).readAll(e).get(0);
        assertEquals("s3://bucket/imagenet", r.dataset());
        assertEquals("../../etc", r.job());
    }
}
