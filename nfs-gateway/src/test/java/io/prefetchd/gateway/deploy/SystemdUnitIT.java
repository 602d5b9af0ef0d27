package io.prefetchd.gateway.deploy;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code deploy/systemd/prefetchd.service} passes {@code systemd-analyze verify} (from Debian's systemd). */
class SystemdUnitIT {
    @Test
    void unit_passesSystemdAnalyzeVerify() throws Exception {
        Path tool = Path.of("/usr/bin/systemd-analyze");
        if (System.getenv("CI") != null) {
            assertTrue(Files.isExecutable(tool), "CI must check the unit: install systemd (.ci/run does)");
        }
        assumeTrue(Files.isExecutable(tool), "systemd-analyze is not installed");
        Path unit = DeployFilesTest.DEPLOY.resolve("systemd/prefetchd.service");
        Process p = new ProcessBuilder(tool.toString(), "verify", unit.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertEquals("", out.strip(), "no warnings either");
    }
}
