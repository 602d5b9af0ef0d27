package io.prefetchd.benchmarks.scale;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatasetNamesSectionTest {
    @TempDir
    Path work;

    @Test
    void quickRun_reportsTheNamedFigures_andTheMappedNamesHoldLessHeap() throws Exception {
        List<ScaleFigure> figures = new DatasetNamesSection().run(ScaleSize.QUICK, work,
                new PrintStream(OutputStream.nullOutputStream()));

        Map<String, Double> byName = figures.stream().collect(Collectors.toMap(ScaleFigure::name, ScaleFigure::value));
        assertEquals(List.of("dataset_names.heap_heap_bytes_per_object", "dataset_names.heap_peak_heap_bytes_per_object",
                "dataset_names.heap_pin_seconds", "dataset_names.heap_lookup_p50_us",
                "dataset_names.file_heap_bytes_per_object", "dataset_names.file_peak_heap_bytes_per_object",
                "dataset_names.file_pin_seconds", "dataset_names.file_lookup_p50_us"),
                figures.stream().map(ScaleFigure::name).toList());
        assertTrue(byName.get("dataset_names.file_pin_seconds") > 0);
        assertTrue(byName.get("dataset_names.file_lookup_p50_us") > 0);
        assertTrue(byName.get("dataset_names.heap_heap_bytes_per_object") > 30,
                "names on the heap: " + byName);
        assertTrue(byName.get("dataset_names.file_heap_bytes_per_object")
                < byName.get("dataset_names.heap_heap_bytes_per_object") / 4, "names in a file: " + byName);
    }
}
