package io.prefetchd.benchmarks.scale;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prefetchd.planner.json.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * The scale benchmark: what one node's structures cost at millions of blocks, samples and objects. Each
 * {@link ScaleSection} measures one part; this command runs them in turn, prints one table and writes
 * {@code scale.json} (figure name to value) to {@code --out}.
 */
@Command(name = "run-scale", mixinStandardHelpOptions = true,
        description = "Measure heap, open times and latencies of one node at scale (synthetic inputs).")
public final class ScaleBench implements Callable<Integer> {
    @Option(names = "--size", description = "QUICK (seconds) or FULL (the stated sizes). Default: ${DEFAULT-VALUE}")
    ScaleSize size = ScaleSize.FULL;
    @Option(names = "--only", split = ",", description = "Run only these sections (comma-separated names; "
            + "hinted is hinted.webdataset and hinted.files).")
    Set<String> only = Set.of();
    @Option(names = "--out", description = "Folder for scale.json. Default: the current folder")
    Path out = Path.of(".");
    @Option(names = "--work", description = "Scratch folder. Default: a temp folder, deleted after")
    Path work;

    /** Every section, in the order they run. */
    static List<ScaleSection> sections() {
        return List.of(
                new NamespaceSection(),
                new DatasetNamesSection(),
                new CacheSection(),
                new IndexSection(),
                new IndexBuildSection(),
                new PlanSection(),
                HintedSection.webDataset(),
                HintedSection.files(),
                new SlowS3Section());
    }

    /** True when {@code only} is empty or names the section, or its group ({@code hinted} for {@code hinted.files}). */
    static boolean selects(Set<String> only, String section) {
        int dot = section.indexOf('.');
        return only.isEmpty() || only.contains(section) || dot > 0 && only.contains(section.substring(0, dot));
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ScaleBench()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path w = work == null ? Files.createTempDirectory("prefetchd-scale") : Files.createDirectories(work);
        List<ScaleFigure> figures = new ArrayList<>();
        try {
            for (ScaleSection section : sections()) {
                if (!selects(only, section.name())) {
                    continue;
                }
                System.out.printf(Locale.ROOT, "== %s (%s)%n", section.name(), size);
                Path dir = Files.createDirectories(w.resolve(section.name()));
                try {
                    figures.addAll(section.run(size, dir, System.out));
                } finally {
                    deleteTree(dir);
                }
            }
        } finally {
            if (work == null) {
                deleteTree(w);
            }
        }
        print(figures);
        ObjectNode json = Json.object();
        json.put("size", size.name());
        figures.forEach(f -> json.put(f.name(), f.value()));
        Files.createDirectories(out);
        Files.writeString(out.resolve("scale.json"), Json.pretty(json));
        System.out.println("wrote " + out.resolve("scale.json"));
        return 0;
    }

    private static void print(List<ScaleFigure> figures) {
        System.out.printf(Locale.ROOT, "%n%-44s %14s %-8s %s%n", "figure", "value", "unit", "note");
        for (ScaleFigure f : figures) {
            System.out.printf(Locale.ROOT, "%-44s %14.3f %-8s %s%n", f.name(), f.value(), f.unit(), f.note());
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
