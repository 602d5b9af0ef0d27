package io.prefetchd.benchmarks.scale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheSectionTest {
    @TempDir
    Path work;

    @Test
    void quickRun_reportsTheCacheFigures() throws Exception {
        List<ScaleFigure> figures = new CacheSection().run(ScaleSize.QUICK, work,
                new PrintStream(OutputStream.nullOutputStream()));

        Map<String, Double> byName = figures.stream().collect(Collectors.toMap(ScaleFigure::name, ScaleFigure::value));
        assertEquals(List.of("cache.heap_bytes_per_block", "cache.heap_bytes_per_block_1m", "cache.open_seconds_1m",
                "cache.open_seconds_10m", "cache.checkpoint_seconds_10m", "cache.listing_open_seconds_per_million"),
                figures.stream().map(ScaleFigure::name).toList());
        assertTrue(byName.get("cache.open_seconds_10m") > 0);
        assertTrue(byName.get("cache.listing_open_seconds_per_million") > 0);
        assertTrue(byName.get("cache.heap_bytes_per_block") > 0);
    }
}
