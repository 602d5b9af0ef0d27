package io.prefetchd.tracer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RetentionTest {
    @TempDir
    Path state;

    private Path file(String rel, int size, long mtimeSecond) throws IOException {
        Path p = state.resolve("traces").resolve(rel);
        Files.createDirectories(p.getParent());
        Files.write(p, new byte[size]);
        Files.setLastModifiedTime(p, FileTime.from(Instant.ofEpochSecond(mtimeSecond)));
        return p;
    }

    @Test
    void overLimit_deletesOldestFirstUntilUnder() throws IOException {
        Path a = file("d1/j/epoch-0.arrow", 100, 1000);
        Path b = file("d2/j/epoch-0.arrow", 100, 2000);
        Path c = file("d1/j/epoch-1.arrow", 100, 3000);
        Path other = file("d1/j/notes.txt", 1000, 1);

        assertEquals(2, Retention.enforce(state.resolve("traces"), 150, Set.of()));
        assertFalse(Files.exists(a));
        assertFalse(Files.exists(b));
        assertTrue(Files.exists(c));
        assertTrue(Files.exists(other), "only epoch files are touched");
        assertFalse(Files.exists(state.resolve("traces/d2")), "an emptied dataset folder goes too");
    }

    @Test
    void openFiles_areNeverDeletedButCount() throws IOException {
        Path open = file("d/j/epoch-0.arrow", 300, 1000);
        Path closed = file("d/j/epoch-1.arrow", 100, 2000);
        assertEquals(1, Retention.enforce(state.resolve("traces"), 200, Set.of(open)));
        assertTrue(Files.exists(open));
        assertFalse(Files.exists(closed));
    }

    @Test
    void underLimit_deletesNothing() throws IOException {
        file("d/j/epoch-0.arrow", 100, 1000);
        assertEquals(0, Retention.enforce(state.resolve("traces"), 100, Set.of()));
    }

    @Test
    void tracer_appliesRetentionWhenEpochsClose() throws Exception {
        ManualClock clock = new ManualClock();
        Tracers.Recorder listener = new Tracers.Recorder();
        // one epoch of 200 reads is about 27 KB; keep about two of them
        AccessTracer t = AccessTracer.start(Tracers.config(state).withRetentionBytes(70_000), clock,
                Tracers.THREADS, listener);
        t.datasetSize("ds", 200);
        for (int e = 0; e < 5; e++) {
            for (int i = 0; i < 200; i++) {
                clock.advance(Duration.ofMillis(1));
                Tracers.read(t, "ds", "train/shard-" + i + ".tar", i, 1);
            }
            Tracers.await(t.flush());
        }
        t.close();
        List<Integer> kept = TraceStore.open(state).epochs().stream().map(EpochTrace::epoch).toList();
        long size = TraceStore.open(state).epochs().stream().mapToLong(EpochTrace::sizeBytes).sum();
        assertTrue(size <= 70_000, "total " + size);
        assertTrue(kept.size() >= 1 && kept.size() < 5, "kept " + kept);
        assertEquals(4, kept.get(kept.size() - 1), "the newest epoch survives: " + kept);
        assertEquals(5 - kept.size(), t.stats().filesDeleted());
        for (int i = 1; i < kept.size(); i++) {
            assertEquals(kept.get(i - 1) + 1, kept.get(i), "the oldest went first: " + kept);
        }
    }
}
