package io.prefetchd.benchmarks.scale;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HintedSectionTest {
    @TempDir
    Path work;

    @Test
    void quickFiles_reportHeapPlanAndLookUps_withoutANamePerFile() throws Exception {
        List<ScaleFigure> figures = HintedSection.files().run(ScaleSize.QUICK, work,
                new PrintStream(OutputStream.nullOutputStream()));

        Map<String, Double> byName = figures.stream().collect(Collectors.toMap(ScaleFigure::name, ScaleFigure::value));
        assertEquals(List.of("hinted.files.heap_bytes_per_sample", "hinted.files.first_plan_seconds",
                "hinted.files.read_lookup_ns", "hinted.files.evicted_lookup_ns"),
                figures.stream().map(ScaleFigure::name).toList());
        // the published order alone is 4 bytes a sample; a name per file would be well over 100
        assertTrue(byName.get("hinted.files.heap_bytes_per_sample") >= 4.0, byName.toString());
        assertTrue(byName.get("hinted.files.heap_bytes_per_sample") <= 16.0, byName.toString());
        assertTrue(byName.get("hinted.files.read_lookup_ns") > 0, byName.toString());
    }

    @Test
    void only_selectsASectionByNameOrByItsGroup() {
        assertTrue(ScaleBench.selects(Set.of(), "hinted.files"));
        assertTrue(ScaleBench.selects(Set.of("hinted"), "hinted.files"));
        assertTrue(ScaleBench.selects(Set.of("hinted.files"), "hinted.files"));
        assertFalse(ScaleBench.selects(Set.of("hinted.files"), "hinted.webdataset"));
        assertFalse(ScaleBench.selects(Set.of("plan"), "hinted.files"));
        assertTrue(ScaleBench.selects(Set.of("plan"), "plan"));
    }
}
