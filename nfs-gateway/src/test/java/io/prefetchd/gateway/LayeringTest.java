package io.prefetchd.gateway;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway's packages depend one way. The file system sits below the protocols that serve it: NFS and the S3
 * endpoint depend on {@code fs}, never the other way round. The daemon's package is the composition root: it
 * depends on every other package, and none depends on it. A reference against the grain (an import, a fully
 * qualified name, a javadoc link) fails here with the file and line.
 */
class LayeringTest {
    private static final Path SOURCES = Path.of(System.getProperty("user.dir"))
            .resolve("src/main/java/io/prefetchd/gateway");

    @Test
    void fsSources_neverReferToTheNfsPackage() throws IOException {
        assertEquals(List.of(), references(SOURCES.resolve("fs"), "io.prefetchd.gateway.nfs"),
                "fs must not depend on the NFS layer");
    }

    @Test
    void onlyTheDaemonPackage_refersToTheDaemonPackage() throws IOException {
        List<String> found = references(SOURCES, "io.prefetchd.gateway.daemon");
        found.removeIf(r -> r.startsWith("daemon/"));
        assertEquals(List.of(), found, "the composition root depends on the rest, never the other way round");
    }

    /** Every line of the sources under {@code folder} that names {@code pkg}, as {@code path:line: text}. */
    private static List<String> references(Path folder, String pkg) throws IOException {
        assertTrue(Files.isDirectory(folder), folder + " is not a source folder");
        List<String> references = new ArrayList<>();
        int files = 0;
        try (Stream<Path> sources = Files.walk(folder)) {
            for (Path source : sources.filter(p -> p.toString().endsWith(".java")).toList()) {
                files++;
                List<String> lines = Files.readAllLines(source);
                for (int i = 0; i < lines.size(); i++) {
                    if (lines.get(i).contains(pkg)) {
                        references.add(SOURCES.relativize(source) + ":" + (i + 1) + ": " + lines.get(i).strip());
                    }
                }
            }
        }
        assertTrue(files > 10, "only " + files + " sources found under " + folder);
        return references;
    }
}
