package io.prefetchd.benchmarks.scale;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IndexBuildSectionTest {
    @TempDir
    Path work;

    @Test
    void quickRun_streamedBuildsHoldLessThanTheListedOnes_andLeaveNoFiles() throws Exception {
        List<ScaleFigure> figures = new IndexBuildSection().run(ScaleSize.QUICK, work,
                new PrintStream(OutputStream.nullOutputStream()));

        Map<String, Double> byName = figures.stream().collect(Collectors.toMap(ScaleFigure::name, ScaleFigure::value));
        assertEquals(12, byName.size(), byName.toString());
        figures.forEach(f -> assertTrue(f.name().startsWith("index-build.files.")
                || f.name().startsWith("index-build.imagefolder."), f.name()));
        // the listed build holds an ObjectRef and more per object; the streamed one a fixed set of buffers
        assertTrue(byName.get("index-build.files.listed_heap_bytes_per_object_10m") > 100, byName.toString());
        assertTrue(byName.get("index-build.files.streamed_heap_bytes_per_object_10m") < 16, byName.toString());
        // the gateway's path (paged listing, streamed refresh) against the held listing, first build and unchanged
        assertTrue(byName.get("index-build.files.load_or_build_first_heap_bytes_per_object_10m")
                < byName.get("index-build.files.listed_heap_bytes_per_object_10m") / 2, byName.toString());
        assertTrue(byName.get("index-build.files.load_or_build_unchanged_heap_bytes_per_object_10m")
                < byName.get("index-build.files.held_unchanged_heap_bytes_per_object_10m") / 2, byName.toString());
        // ImageFolder class folders whose order is the listing's are streamed too
        assertTrue(byName.get("index-build.imagefolder.load_or_build_first_heap_bytes_per_object_10m")
                < byName.get("index-build.files.listed_heap_bytes_per_object_10m") / 2, byName.toString());
        try (Stream<Path> left = Files.list(work)) {
            assertTrue(left.findAny().isEmpty());
        }
    }
}
