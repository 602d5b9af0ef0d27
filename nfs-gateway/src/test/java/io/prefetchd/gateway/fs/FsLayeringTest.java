package io.prefetchd.gateway.fs;

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
 * The file system sits below the protocols that serve it: NFS and the S3 endpoint depend on {@code fs}, never the
 * other way round. A reference from {@code fs} to the NFS package (an import, a fully qualified name, a javadoc
 * link) fails here with the file and line.
 */
class FsLayeringTest {
    private static final Path FS_SOURCES = Path.of(System.getProperty("user.dir"))
            .resolve("src/main/java/io/prefetchd/gateway/fs");

    @Test
    void fsSources_neverReferToTheNfsPackage() throws IOException {
        assertTrue(Files.isDirectory(FS_SOURCES), FS_SOURCES + " is not the fs source folder");
        List<String> references = new ArrayList<>();
        int files = 0;
        try (Stream<Path> sources = Files.walk(FS_SOURCES)) {
            for (Path source : sources.filter(p -> p.toString().endsWith(".java")).toList()) {
                files++;
                List<String> lines = Files.readAllLines(source);
                for (int i = 0; i < lines.size(); i++) {
                    if (lines.get(i).contains("io.prefetchd.gateway.nfs")) {
                        references.add(FS_SOURCES.relativize(source) + ":" + (i + 1) + ": " + lines.get(i).strip());
                    }
                }
            }
        }
        assertTrue(files > 10, "only " + files + " sources found under " + FS_SOURCES);
        assertEquals(List.of(), references, "fs must not depend on the NFS layer");
    }
}
