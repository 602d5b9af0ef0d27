package io.prefetchd.gateway.deploy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Python client installs as clients/python-stub/README.md tells Debian users (PEP 668: no pip into the system
 * Python): a venv with {@code --system-site-packages} over Debian's python3-grpcio and python3-protobuf, and
 * {@code pip install --no-deps --no-build-isolation}, with no index (nothing from PyPI).
 */
class PythonPackagingIT {
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    @TempDir
    Path dir;

    private static String run(Path cwd, List<String> cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true);
        pb.environment().put("PIP_NO_INDEX", "1");
        pb.environment().put("PIP_DISABLE_PIP_VERSION_CHECK", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "timed out: " + cmd);
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + "\n" + out);
        return out;
    }

    @Test
    void venvWithSystemSitePackages_pipInstallNoDeps_importsTheClient() throws Exception {
        // Debian's venv needs python3-venv (ensurepip's wheels); --no-build-isolation needs python3-setuptools
        boolean venv = Files.isExecutable(PYTHON) && Files.isDirectory(Path.of("/usr/share/python-wheels"))
                && new ProcessBuilder(PYTHON.toString(), "-c", "import setuptools").start().waitFor() == 0;
        if (System.getenv("CI") != null) {
            assertTrue(venv, "CI must check the Python packaging: install python3-venv and python3-setuptools (.ci/run does)");
        }
        assumeTrue(venv, "python3-venv or python3-setuptools is not installed");
        // a copy: an in-tree build would leave build/ and *.egg-info in the repository
        Path src = dir.resolve("python-stub");
        Path from = DeployFilesTest.ROOT.resolve("clients/python-stub");
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.filter(f -> !f.toString().contains("__pycache__")).toList()) {
                Path to = src.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(f, to);
                }
            }
        }
        Path env = dir.resolve("venv");
        run(dir, List.of(PYTHON.toString(), "-m", "venv", "--system-site-packages", env.toString()));
        String pip = env.resolve("bin/pip").toString();
        run(dir, List.of(pip, "install", "--no-deps", "--no-build-isolation", src.toString()));
        String show = run(dir, List.of(pip, "show", "prefetchd-client"));
        assertTrue(show.contains("Version: 0.1.0"), show);
        String where = run(dir.resolve("venv"), List.of(env.resolve("bin/python").toString(), "-c",
                "import prefetchd_client, prefetchd_client.v1.hints_pb2_grpc, grpc; print(prefetchd_client.__file__)"));
        assertTrue(where.strip().startsWith(env.toString()), "imported from the venv: " + where);
    }
}
