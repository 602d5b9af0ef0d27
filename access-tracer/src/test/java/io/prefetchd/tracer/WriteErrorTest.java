package io.prefetchd.tracer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A folder that cannot be written loses those records (counted), and the tracer recovers when it can again. */
class WriteErrorTest {
    @TempDir
    Path state;

    @Test
    void unwritableFolder_countsFailedRecords_thenRetriesAfterTheFlushInterval() throws Exception {
        ManualClock clock = new ManualClock();
        List<Path> errors = new CopyOnWriteArrayList<>();
        AccessTracer t = AccessTracer.start(Tracers.config(state), clock, Tracers.THREADS, new TracerListener() {
            @Override
            public void onWriteError(Path file, IOException error) {
                errors.add(file);
            }
        });
        Path blocker = state.resolve("traces/ds");
        Files.writeString(blocker, "a file where the dataset folder should be");

        Tracers.read(t, "ds", "k", 0, 1);
        Tracers.read(t, "ds", "k", 1, 1); // within the retry delay: not even tried
        Tracers.await(t.flush());
        assertEquals(2, t.stats().failed());
        assertEquals(1, errors.size(), "one error, then a pause until the retry");

        Files.delete(blocker);
        clock.advance(Duration.ofSeconds(1));
        Tracers.read(t, "ds", "k", 2, 1);
        t.close();

        assertEquals(List.of(2L), TraceStore.open(state).readAll(TraceStore.open(state).resolve("ds/job/0"))
                .stream().map(ReadRecord::offset).toList());
        TracerStats s = t.stats();
        assertEquals(3, s.accepted());
        assertEquals(s.accepted(), s.written() + s.failed());
        assertTrue(errors.get(0).endsWith("traces/ds/job"), errors.toString());
    }
}
