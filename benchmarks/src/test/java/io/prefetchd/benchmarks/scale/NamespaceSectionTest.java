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

class NamespaceSectionTest {
    @TempDir
    Path work;

    @Test
    void quickRun_reportsTheNamedFigures() throws Exception {
        List<ScaleFigure> figures = new NamespaceSection().run(ScaleSize.QUICK, work,
                new PrintStream(OutputStream.nullOutputStream()));

        Map<String, Double> byName = figures.stream().collect(Collectors.toMap(ScaleFigure::name, ScaleFigure::value));
        assertEquals(List.of("namespace.readdir_seconds_1m", "namespace.readdir_cold_seconds_1m",
                "namespace.heap_bytes_per_entry", "namespace.lookup_p50_ms", "namespace.lookup_p99_ms"),
                figures.stream().map(ScaleFigure::name).toList());
        assertTrue(byName.get("namespace.readdir_seconds_1m") > 0);
        assertTrue(byName.get("namespace.lookup_p50_ms") > 0);
        assertTrue(byName.get("namespace.heap_bytes_per_entry") >= 0);
        assertTrue(figures.stream().allMatch(f -> f.name().startsWith("namespace.")));
    }
}
