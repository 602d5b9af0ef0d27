package io.prefetchd.gateway;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The repository explains itself: no source, build file or doc of any module points the reader to a document
 * outside the repository (the team's design notes and research folder) or to an issue number, where the fact
 * itself belongs. Tools outside the repository that the tests run (the kernel-client VM) may be named.
 */
class SelfContainedSourcesTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final Set<String> SKIPPED = Set.of("target", ".git", "node_modules", "__pycache__");
    private static final Pattern OUTSIDE = Pattern.compile(
            "research/|DESIGN\\.md|STYLE\\.md|anchors-mission|\\b[Ii]ssue #?\\d+\\b(?! KiB)");

    @Test
    void noFile_citesADocumentOutsideTheRepository_orAnIssueNumber() throws IOException {
        assertTrue(Files.isRegularFile(ROOT.resolve("pom.xml")), ROOT + " is not the repository's root");
        List<String> found = new ArrayList<>();
        int files = 0;
        try (Stream<Path> all = Files.walk(ROOT)) {
            for (Path file : all.filter(SelfContainedSourcesTest::checked).toList()) {
                files++;
                List<String> lines;
                try {
                    lines = Files.readAllLines(file);
                } catch (MalformedInputException e) {
                    continue; // not UTF-8 text: a fixture
                }
                for (int i = 0; i < lines.size(); i++) {
                    if (OUTSIDE.matcher(lines.get(i)).find()) {
                        found.add(ROOT.relativize(file) + ":" + (i + 1) + ": " + lines.get(i).strip());
                    }
                }
            }
        }
        assertTrue(files > 100, "only " + files + " files found under " + ROOT);
        assertEquals(List.of(), found, "say the fact, not where it was read");
    }

    private static boolean checked(Path p) {
        for (Path part : ROOT.relativize(p)) {
            if (SKIPPED.contains(part.toString())) {
                return false;
            }
        }
        String name = p.getFileName().toString();
        return !name.equals(SelfContainedSourcesTest.class.getSimpleName() + ".java") && Files.isRegularFile(p) && (name.endsWith(".java") || name.endsWith(".py") || name.endsWith(".md")
                || name.endsWith(".xml") || name.endsWith(".proto") || name.endsWith(".sh"));
    }
}
