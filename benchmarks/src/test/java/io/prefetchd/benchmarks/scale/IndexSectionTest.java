package io.prefetchd.benchmarks.scale;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IndexSectionTest {
    @TempDir
    Path work;

    @Test
    void quickRun_reportsItsFigures_withAMappedIndexCostingAFewBytesPerSampleAtMost() throws Exception {
        List<ScaleFigure> figures = new IndexSection().run(ScaleSize.QUICK, work,
                new PrintStream(OutputStream.nullOutputStream()));

        Map<String, Double> byName = figures.stream().collect(Collectors.toMap(ScaleFigure::name, ScaleFigure::value));
        assertTrue(byName.keySet().containsAll(List.of("index.heap_bytes_per_sample", "index.open_seconds_10m",
                "index.open_seconds_100m")), byName.toString());
        figures.forEach(f -> assertTrue(f.name().startsWith("index."), f.name()));
        assertTrue(byName.get("index.open_seconds_100m") > 0);
        // a million samples mapped: the retained heap is the mapping's few objects, not a column
        assertTrue(byName.get("index.heap_bytes_per_sample") < 4.0, byName.toString());
        assertEquals("index", new IndexSection().name());
    }
}
