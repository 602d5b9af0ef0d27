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

class PlanSectionTest {
    @TempDir
    Path work;

    @Test
    void quickRun_reportsHeapPerSampleAndFirstPlanTime() throws Exception {
        List<ScaleFigure> figures = new PlanSection().run(ScaleSize.QUICK, work,
                new PrintStream(OutputStream.nullOutputStream()));

        Map<String, Double> byName = figures.stream().collect(Collectors.toMap(ScaleFigure::name, ScaleFigure::value));
        assertEquals(List.of("plan.heap_bytes_per_sample", "plan.first_plan_seconds"),
                figures.stream().map(ScaleFigure::name).toList());
        assertTrue(byName.get("plan.first_plan_seconds") > 0, byName.toString());
        // the published order alone is 4 bytes a sample
        assertTrue(byName.get("plan.heap_bytes_per_sample") >= 4.0, byName.toString());
        assertEquals("plan", new PlanSection().name());
    }
}
