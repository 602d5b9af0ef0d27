package io.prefetchd.gateway.hints;

import io.prefetchd.testing.Prerequisites;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Runs the Python client's pytest suite (clients/python-stub/tests) against a demo daemon it starts from this
 * build's jar: real DataLoader(num_workers=2), DistributedSampler ranks, gateway down, bad inputs. Needs Debian's
 * python3-torch, python3-grpcio, python3-protobuf, python3-pytest; skipped without them, except with CI set
 * (to any value), where missing packages fail the build.
 */
class PythonClientIT {

    @Test
    void pytestSuite_passes() throws Exception {
        Path root = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().getParent();
        Path tests = root.resolve("clients/python-stub/tests");
        String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        Process probe = new ProcessBuilder(python, "-c", "import torch, grpc, google.protobuf, pytest")
                .redirectErrorStream(true).start();
        String probeOut = new String(probe.getInputStream().readAllBytes());
        Prerequisites.require(probe.waitFor(120, TimeUnit.SECONDS) && probe.exitValue() == 0,
                "python deps missing (apt-get install python3-torch python3-grpcio python3-protobuf python3-pytest): "
                        + probeOut);
        Process p = new ProcessBuilder(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", tests.toString())
                .directory(root.resolve("clients/python-stub").toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(600, TimeUnit.SECONDS), "pytest timed out");
        System.out.println(out);
        assertEquals(0, p.exitValue(), out);
    }
}
