package io.prefetchd.benchmarks.scale;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The section runs at QUICK size and gives every figure it names, each a number in its range. */
class SlowS3SectionTest {
    @TempDir
    Path work;

    @Test
    void quickRun_givesEveryFigure() throws Exception {
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        List<ScaleFigure> figures = new SlowS3Section().run(ScaleSize.QUICK, work,
                new PrintStream(progress, true, StandardCharsets.UTF_8));

        Map<String, Double> byName = figures.stream().collect(Collectors.toMap(ScaleFigure::name, ScaleFigure::value));
        assertEquals(List.of("read.cached_p50_ms", "read.cached_p99_ms", "read.fast_s3_cached_p50_ms",
                "read.fast_s3_cached_p99_ms", "read.cached_p99_slow_over_fast", "read.cached_reads_per_second",
                "read.fast_s3_cached_reads_per_second", "read.uncached_p50_ms", "read.connection_fairness",
                "read.blocking_cached_p50_ms", "read.blocking_cached_p99_ms"),
                figures.stream().map(ScaleFigure::name).toList());
        for (ScaleFigure f : figures) {
            assertTrue(f.value() >= 0 && !Double.isNaN(f.value()), f + " is a measured number");
        }
        assertTrue(byName.get("read.cached_p50_ms") <= byName.get("read.cached_p99_ms"));
        assertTrue(byName.get("read.uncached_p50_ms") >= 200, "uncached READs waited for the 200 ms GETs");
        assertTrue(byName.get("read.connection_fairness") > 0, "every connection got cached READs done");
        assertTrue(progress.toString(StandardCharsets.UTF_8).contains("GET delay 200 ms"));
    }
}
