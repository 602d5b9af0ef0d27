package io.prefetchd.tracer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A full buffer drops and counts records; the read path never waits for the writer. */
class DroppedRecordsTest {
    @TempDir
    Path state;

    private final ManualClock clock = new ManualClock();

    @Test
    void fullBuffer_withWriterNotRunning_dropsAndCountsTheExcess() throws Exception {
        Tracers.GatedExecutor gate = new Tracers.GatedExecutor();
        CountDownLatch reported = new CountDownLatch(1);
        long[] reportedTotal = new long[1];
        AccessTracer t = AccessTracer.start(Tracers.config(state).withBufferCapacity(8), clock, gate,
                new TracerListener() {
                    @Override
                    public void onDropped(long newlyDropped, long totalDropped) {
                        reportedTotal[0] = totalDropped;
                        reported.countDown();
                    }
                });
        for (int i = 0; i < 20; i++) {
            Tracers.read(t, "ds", "k", i, 1); // returns although nothing drains the buffer
        }
        TracerStats full = t.stats();
        assertEquals(8, full.accepted());
        assertEquals(12, full.dropped());
        assertEquals(8, full.pending());
        assertEquals(8, full.capacity());

        gate.release();
        assertTrue(reported.await(20, TimeUnit.SECONDS));
        assertEquals(12, reportedTotal[0]);
        t.close();
        List<ReadRecord> kept = TraceStore.open(state).readAll(TraceStore.open(state).resolve("ds/job/0"));
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L), kept.stream().map(ReadRecord::offset).toList(),
                "the first eight, in order");
        assertEquals(8, t.stats().written());
        assertEquals(12, t.stats().dropped());
    }

    @Test
    void writerBlockedMidRun_readPathKeepsGoingAndDropsAreCounted() throws Exception {
        CountDownLatch writerInside = new CountDownLatch(1);
        CountDownLatch unblock = new CountDownLatch(1);
        AccessTracer t = AccessTracer.start(Tracers.config(state).withBufferCapacity(16), clock, Tracers.THREADS,
                new TracerListener() {
                    @Override
                    public void onFileClosed(TraceFile file, CloseReason reason) {
                        if (reason == CloseReason.END_HINT) {
                            writerInside.countDown();
                            try {
                                unblock.await(); // a writer stuck (slow disk, say)
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    }
                });
        Tracers.read(t, "ds", "k", 0, 1);
        t.endEpoch("ds", "job");
        assertTrue(writerInside.await(20, TimeUnit.SECONDS));

        Thread[] readers = new Thread[4];
        for (int r = 0; r < readers.length; r++) {
            int id = r;
            readers[r] = new Thread(() -> {
                for (int i = 0; i < 1000; i++) {
                    Tracers.read(t, "ds", "k", 1_000_000L * (id + 1) + i, 1);
                }
            });
            readers[r].start();
        }
        for (Thread r : readers) {
            r.join(20_000);
            assertTrue(!r.isAlive(), "record() returned on every reader thread while the writer was stuck");
        }
        TracerStats stuck = t.stats();
        assertEquals(1 + 4000, stuck.accepted() + stuck.dropped());
        assertEquals(4000 - 16, stuck.dropped(), "the ring holds 16; every other record was dropped");

        unblock.countDown();
        t.close();
        TracerStats end = t.stats();
        assertEquals(17, end.written());
        assertEquals(0, end.failed());
        assertEquals(16, TraceStore.open(state).readAll(TraceStore.open(state).resolve("ds/job/1")).size());
    }
}
