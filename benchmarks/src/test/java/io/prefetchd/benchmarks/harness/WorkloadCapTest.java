package io.prefetchd.benchmarks.harness;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The per-contender time cap, on a manual clock: every read of the fake contender moves the clock by one second, so
 * the cap is crossed after a known number of reads without any sleeping.
 */
class WorkloadCapTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private static final byte[] BYTES = {1, 2, 3, 4};
    private static final S3Emulator.Counters ZERO = new S3Emulator.Counters(0, 0, 0, 0);

    /** {@code n} samples of 4 bytes, all with the same content. */
    private static Dataset dataset(int n) {
        List<Dataset.Sample> s = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            s.add(new Dataset.Sample(i, "k" + i, 0, BYTES.length, Dataset.crc(BYTES, BYTES.length)));
        }
        return new Dataset("files", Path.of("."), "files", s, 4L * n, 4L * n, n);
    }

    /** A contender whose every read takes one second of the manual clock; {@code wrongFrom} reads return bad bytes. */
    private static final class SlowContender implements Contender {
        final AtomicLong clock;
        final String name;
        final int wrongFrom;
        final AtomicInteger reads = new AtomicInteger();
        final AtomicInteger readersClosed = new AtomicInteger();

        SlowContender(String name, AtomicLong clock, int wrongFrom) {
            this.name = name;
            this.clock = clock;
            this.wrongFrom = wrongFrom;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String client() {
            return "fake";
        }

        @Override
        public SampleReader newReader(boolean keepOpen) {
            return new SampleReader() {
                @Override
                public byte[] read(Dataset.Sample s) {
                    clock.addAndGet(SECOND);
                    return reads.incrementAndGet() >= wrongFrom ? new byte[] {9, 9, 9, 9} : BYTES.clone();
                }

                @Override
                public void close() {
                    readersClosed.incrementAndGet();
                }
            };
        }

        @Override
        public void close() {
        }
    }

    @Test
    void run_overTheCap_stopsInTheEpoch_keepsCompletedEpochs_countsEveryStartedRead() throws Exception {
        AtomicLong clock = new AtomicLong();
        Workload w = new Workload(dataset(40), 2, 0, 500, 42, false, clock::get);
        SlowContender c = new SlowContender("s3fs", clock, Integer.MAX_VALUE);

        Workload.ContenderRun run = w.run(c, 3, () -> ZERO, 50 * SECOND);

        assertEquals(1, run.epochs().size(), "epoch 0 (40 s) completed, epoch 1 was cut");
        assertEquals(40, run.epochs().get(0).samplesOk());
        Workload.Stop stop = run.stop().orElseThrow();
        assertEquals(1, stop.epoch());
        assertEquals(40, stop.epochSamples());
        assertTrue(stop.samplesRead() >= 10 && stop.samplesRead() < 40, "cut after the cap: " + stop.samplesRead());
        assertEquals(stop.samplesRead(), stop.partial().samplesOk(), "every started read finished and was counted");
        assertEquals(40 + stop.samplesRead(), c.reads.get(), "no read after the stop was started and dropped");
        assertEquals(40 + stop.samplesRead(), stop.afterSeconds(), 1e-9, "time on the manual clock");
        assertEquals(2, c.readersClosed.get(), "readers closed");
        assertTrue(stop.describe().startsWith("s3fs: stopped after " + (40 + stop.samplesRead()) + " s in epoch 1 ("
                + stop.samplesRead() + " of 40 samples"), stop.describe());
    }

    @Test
    void run_withoutCap_runsEveryEpoch() throws Exception {
        AtomicLong clock = new AtomicLong();
        Workload w = new Workload(dataset(20), 2, 0, 500, 42, false, clock::get);

        Workload.ContenderRun run = w.run(new SlowContender("rclone", clock, Integer.MAX_VALUE), 3, () -> ZERO, 0);

        assertEquals(3, run.epochs().size());
        assertFalse(run.stop().isPresent());
    }

    @Test
    void run_capReachedExactlyAtAnEpochEnd_nextEpochDoesNotStart() throws Exception {
        AtomicLong clock = new AtomicLong();
        Workload w = new Workload(dataset(10), 1, 0, 500, 42, false, clock::get);
        SlowContender c = new SlowContender("s3fs", clock, Integer.MAX_VALUE);

        // one reader: the cap (9.5 s) is crossed by the 10th read, the last of epoch 0
        Workload.ContenderRun run = w.run(c, 2, () -> ZERO, 9 * SECOND + SECOND / 2);

        assertEquals(1, run.epochs().size());
        Workload.Stop stop = run.stop().orElseThrow();
        assertEquals(1, stop.epoch());
        assertEquals(0, stop.samplesRead());
        assertEquals(10, c.reads.get());
    }

    @Test
    void passed_stoppedS3fs_passes_stoppedPrefetchd_orWrongBytesBeforeTheStop_fail() throws Exception {
        assertTrue(BenchCommand.passed(reportOf("s3fs", Integer.MAX_VALUE)), "a stopped s3fs is not a failure");
        assertFalse(BenchCommand.passed(reportOf("prefetchd-hints", Integer.MAX_VALUE)),
                "prefetchd must finish its epochs");
        assertFalse(BenchCommand.passed(reportOf("s3fs", 45)), "wrong bytes in the cut epoch fail the run");
    }

    @Test
    void failures_aPrefetchdContenderThatDidNotRun_failsTheRun_aMissingFuseToolDoesNot() {
        Report fuseMissing = new Report(List.of(), List.of(), Map.of("s3fs", "s3fs is not installed",
                "rclone", "no /dev/fuse"), 0.5, 160, 0);
        assertEquals(List.of(), BenchCommand.failures(fuseMissing));
        Report daemonDied = new Report(List.of(), List.of(), Map.of("prefetchd-hints",
                "failed while running: java.io.IOException: daemon exited with 1"), 0.5, 160, 0);
        assertEquals(List.of("prefetchd-hints did not run: failed while running: java.io.IOException: daemon exited "
                + "with 1"), BenchCommand.failures(daemonDied));
        Report neverStarted = new Report(List.of(), List.of(), Map.of("prefetchd-lru",
                "daemon did not start within 90 s"), 0.5, 160, 0);
        assertFalse(BenchCommand.passed(neverStarted));
    }

    private static Report reportOf(String contender, int wrongFrom) throws Exception {
        AtomicLong clock = new AtomicLong();
        Workload w = new Workload(dataset(40), 2, 0, 500, 42, false, clock::get);
        Workload.ContenderRun run = w.run(new SlowContender(contender, clock, wrongFrom), 3, () -> ZERO,
                50 * SECOND);
        assertTrue(run.stop().isPresent());
        return new Report(run.epochs(), run.stop().stream().toList(), Map.of(), 0.5, 160, 0);
    }
}
