package io.prefetchd.tracer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SummariesTest {
    @TempDir
    Path state;

    private final ManualClock clock = new ManualClock();

    private EpochTrace write() throws java.io.IOException {
        AccessTracer t = AccessTracer.start(Tracers.config(state), clock, Tracers.THREADS, TracerListener.NONE);
        // shard b first, then a; a changes version half-way; samples are 100-byte records after a 10-byte header
        read(t, "b", "e1", 10, 100, Outcome.S3_WAIT, 5_000);      // b sample 0
        read(t, "a", "e1", 110, 100, Outcome.CACHE_HIT, 0);        // a sample 1
        read(t, "a", "e1", 0, 10, Outcome.CACHE_HIT, 0);           // a header: no sample
        read(t, "b", "e1", 10, 50, Outcome.PREFETCH_HIT, 0);       // b sample 0 again
        read(t, "a", "e2", 10, 100, Outcome.S3_WAIT, 7_000);       // a sample 0, new version
        t.close();
        return TraceStore.open(state).epochs().get(0);
    }

    private void read(AccessTracer t, String key, String etag, long off, int len, Outcome o, long wait) {
        clock.advance(Duration.ofMillis(1));
        t.record("ds", "job", 1, "c", key, etag, 1, off, len, o, wait);
    }

    private static long ms(int n) {
        return ManualClock.START + n * 1_000_000L;
    }

    @Test
    void objectSummaries_perKeyAndEtag_inOrderOfFirstRead() throws Exception {
        List<ObjectSummary> got = TraceStore.open(state).objectSummaries(write());
        assertEquals(List.of(
                new ObjectSummary("b", "e1", 2, 150, 0, 1, 1, 5_000, ms(1), ms(4)),
                new ObjectSummary("a", "e1", 2, 110, 2, 0, 0, 0, ms(2), ms(3)),
                new ObjectSummary("a", "e2", 1, 100, 0, 0, 1, 7_000, ms(5), ms(5))), got);
    }

    @Test
    void sampleSummaries_useTheCallersMapping_andGiveTheEpochsSampleOrder() throws Exception {
        SampleMapper mapper = (key, offset) -> offset < 10 ? SampleMapper.NO_SAMPLE
                : (key.equals("a") ? 0 : 1000) + (offset - 10) / 100;
        List<SampleSummary> got = TraceStore.open(state).sampleSummaries(write(), mapper);
        assertEquals(List.of(
                new SampleSummary(1000, 2, 150, 0, 1, 1, 5_000, ms(1), ms(4)),
                new SampleSummary(1, 1, 100, 1, 0, 0, 0, ms(2), ms(2)),
                new SampleSummary(0, 1, 100, 0, 0, 1, 7_000, ms(5), ms(5))), got);
    }
}
