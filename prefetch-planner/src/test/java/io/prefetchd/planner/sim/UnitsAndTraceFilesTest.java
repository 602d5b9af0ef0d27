package io.prefetchd.planner.sim;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

final class UnitsAndTraceFilesTest {

    @Test
    void rates_andDurations() {
        assertEquals(120L << 20, Units.bytesPerSecond("120MB/s"));
        assertEquals(120L << 20, Units.bytesPerSecond("120MiB/s"));
        assertEquals(1_073_741_824, Units.bytesPerSecond("1GiB/s"));
        assertEquals(Duration.ofMillis(40), Units.duration("40ms"));
        assertEquals(Duration.ofMillis(40), Units.duration("40"));
        assertEquals(Duration.ofMillis(200), Units.duration("0.2s"));
        assertEquals(Duration.ofNanos(500_000), Units.duration("500us"));
    }

    @Test
    void traceFiles_badLine_isNamedByFileAndLine(@TempDir Path dir) throws Exception {
        Path extents = dir.resolve("e.csv");
        Path reads = dir.resolve("r.csv");
        Files.writeString(extents, "0,a,0,10\n1,a,10,ten\n");
        Files.writeString(reads, "0,0\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TraceFiles.read(extents, reads));
        assertEquals(extents + ":2: length is not a number: 'ten'", e.getMessage());
    }

    @Test
    void traceFiles_readOfAnUnknownSample_isNamed(@TempDir Path dir) throws Exception {
        Path extents = dir.resolve("e.csv");
        Path reads = dir.resolve("r.csv");
        Files.writeString(extents, "0,a,0,10\n");
        Files.writeString(reads, "# epoch,sample\n0,0\n0,3\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TraceFiles.read(extents, reads));
        assertEquals(reads + ":3: sample 3 is not in " + extents + " (1 samples)", e.getMessage());
    }

    @Test
    void traceFiles_groupReadsByEpoch(@TempDir Path dir) throws Exception {
        Path extents = dir.resolve("e.csv");
        Path reads = dir.resolve("r.csv");
        Files.writeString(extents, "0,a,0,10\n1,a,10,10\n");
        Files.writeString(reads, "epoch,sample\n0,1\n0,0\n1,0\n1,1\n");
        Workload w = TraceFiles.read(extents, reads);
        assertEquals(2, w.epochs().size());
        assertEquals(1, w.epochs().get(0).sampleAt(0));
    }
}
