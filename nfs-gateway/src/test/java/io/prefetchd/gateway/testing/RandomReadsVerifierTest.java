package io.prefetchd.gateway.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.prefetchd.gateway.embedded.DemoDataset;

/** The guest script run on the host over a plain folder, checked by the verifier. */
class RandomReadsVerifierTest {

    private static final DemoDataset DEMO = new DemoDataset();
    private static final List<String> FILES = List.of("README.txt", "imagefolder/train/cat/0001.jpg",
            "webdataset/train-000002.tar", "big/blob.bin");

    @Test
    void verify_scriptOverCorrectFiles_allReadsMatch(@TempDir Path dir) throws IOException {
        String out = runScript(dir, materialise(dir), 7, 200);
        RandomReadsVerifier.Report r = RandomReadsVerifier.verify(out, DEMO::content, 200);
        r.assertOk();
        assertEquals(200, r.reads());
    }

    @Test
    void verify_oneFlippedByte_isReportedWithFileAndOffset(@TempDir Path dir) throws IOException {
        Path root = materialise(dir);
        Path blob = root.resolve("big/blob.bin");
        byte[] b = Files.readAllBytes(blob);
        for (int i = 0; i < b.length; i += 4096) {
            b[i] ^= 0x01;   // one byte per page: every read longer than a page sees one
        }
        Files.write(blob, b);
        String out = runScript(dir, root, 7, 200);
        RandomReadsVerifier.Report r = RandomReadsVerifier.verify(out, DEMO::content, 200);
        assertFalse(r.ok());
        assertTrue(r.problems().get(0).contains("big/blob.bin") && r.problems().get(0).contains("wrong bytes"),
                r.describe());
    }

    @Test
    void verify_fileOfWrongSize_isReported(@TempDir Path dir) throws IOException {
        Path root = materialise(dir);
        Files.write(root.resolve("README.txt"), "short".getBytes(StandardCharsets.UTF_8));
        RandomReadsVerifier.Report r = RandomReadsVerifier.verify(runScript(dir, root, 1, 20), DEMO::content, 20);
        assertTrue(r.problems().stream().anyMatch(p -> p.contains("README.txt: guest sees size 5")), r.describe());
    }

    @Test
    void verify_outputCutOff_isReported() {
        String out = "header\t1\t1\t200\t65536\t1\nsize\tREADME.txt\t" + DEMO.size("README.txt") + "\n";
        RandomReadsVerifier.Report r = RandomReadsVerifier.verify(out, DEMO::content, 200);
        assertTrue(r.problems().stream().anyMatch(p -> p.startsWith("no done line")), r.describe());
    }

    @Test
    void verify_readErrorInGuest_isReported() {
        String out = "header\t1\t1\t1\t65536\t1\nerror\t0\tbig/blob.bin\t10\t20\tEIO\tInput/output error\ndone\t1\t1\n";
        RandomReadsVerifier.Report r = RandomReadsVerifier.verify(out, DEMO::content, 1);
        assertEquals(List.of("read 0 of big/blob.bin at offset 10 length 20 failed in the guest: EIO Input/output error"),
                r.problems());
    }

    @Test
    void verify_missingFile_isReportedAsOpenFailure(@TempDir Path dir) throws IOException {
        String out = runScript(dir, Files.createDirectories(dir.resolve("empty")), 1, 5);
        RandomReadsVerifier.Report r = RandomReadsVerifier.verify(out, DEMO::content, 5);
        assertTrue(r.problems().get(0).startsWith("cannot open README.txt in the guest: ENOENT"), r.describe());
    }

    private static Path materialise(Path dir) throws IOException {
        Path root = dir.resolve("data");
        for (String key : FILES) {
            Path p = root.resolve(key);
            Files.createDirectories(p.getParent());
            Files.write(p, DEMO.content(key));
        }
        return root;
    }

    private static String runScript(Path dir, Path root, long seed, int count) throws IOException {
        assumeTrue(Files.isExecutable(Path.of(GuestScripts.GUEST_PYTHON)), GuestScripts.GUEST_PYTHON + " missing");
        Path script = GuestScripts.writeRandomReads(dir.resolve("scripts"));
        List<String> cmd = GuestScripts.randomReadsCommand(script, root.toString(), seed, count, FILES);
        ProcessRunner.Completed c = ProcessRunner.run(cmd, Duration.ofSeconds(60), null, Map.of());
        assertFalse(c.timedOut(), "script timed out");
        String stderr = new String(c.stderr(), StandardCharsets.UTF_8);
        assertTrue(stderr.isEmpty(), stderr);
        return new String(c.stdout(), StandardCharsets.UTF_8);
    }
}
