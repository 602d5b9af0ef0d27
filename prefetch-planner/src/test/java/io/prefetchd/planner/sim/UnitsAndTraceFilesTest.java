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
        Files.writeString(extents, "0,a,0,10\n1,a,10,ten\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TraceFiles.extents(extents));
        assertEquals(extents + ":2: length is not a number: 'ten'", e.getMessage());
    }

    @Test
    void traceFiles_missingSample_isNamed(@TempDir Path dir) throws Exception {
        Path extents = dir.resolve("e.csv");
        Files.writeString(extents, "# sample,object,offset,length\n0,a,0,10\n2,a,10,10\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TraceFiles.extents(extents));
        assertEquals(extents + ": samples must be numbered 0..1 without gaps; sample 1 is missing", e.getMessage());
    }

    @Test
    void traceFiles_extentsPerSample(@TempDir Path dir) throws Exception {
        Path extents = dir.resolve("e.csv");
        Files.writeString(extents, "sample,object,offset,length\n0,a,0,10\n1,a,10,10\n1,b,0,5\n");
        var samples = TraceFiles.extents(extents);
        assertEquals(2, samples.sampleCount());
        assertEquals(2, samples.extentsOf(1).size());
    }
}
