package io.prefetchd.gateway.daemon;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code bin/prefetchd} never installs packages silently: a copy of the launcher in a folder with nothing built
 * runs with a PATH holding no JDK or Maven and an {@code apt-get} that only records how it was called.
 */
class LauncherTest {
    @TempDir
    Path dir;

    private record Run(int exit, String stderr, String aptCalls) {}

    private Run launch(String... args) throws Exception {
        Path root = dir.resolve("checkout");
        Files.createDirectories(root.resolve("bin"));
        Path launcher = Path.of(System.getProperty("user.dir")).getParent().resolve("bin/prefetchd");
        Files.copy(launcher, root.resolve("bin/prefetchd"));
        Path fakebin = Files.createDirectories(dir.resolve("fakebin"));
        for (String tool : List.of("bash", "dirname", "find", "id", "env")) {
            Path real = Path.of("/usr/bin", tool);
            if (!Files.exists(fakebin.resolve(tool))) {
                Files.createSymbolicLink(fakebin.resolve(tool), Files.exists(real) ? real : Path.of("/bin", tool));
            }
        }
        Path calls = dir.resolve("apt-calls.txt");
        Path apt = fakebin.resolve("apt-get");
        Files.writeString(apt, "#!/bin/bash\necho \"$*\" >> " + calls + "\n");
        Files.setPosixFilePermissions(apt, PosixFilePermissions.fromString("rwxr-xr-x"));
        List<String> cmd = new java.util.ArrayList<>(List.of("/bin/bash", root.resolve("bin/prefetchd").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("PATH", fakebin.toString());
        pb.environment().remove("PREFETCHD_ASSUME_YES");
        Process p = pb.start();
        p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Run(p.exitValue(), err, Files.exists(calls) ? Files.readString(calls) : "");
    }

    private static boolean root() throws Exception {
        return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0;
    }

    @Test
    void nonInteractive_withoutYes_installsNothing_andSaysHow() throws Exception {
        Run r = launch("demo");
        assertEquals(1, r.exit(), r.stderr());
        assertEquals("", r.aptCalls(), "apt-get must not run");
        assertTrue(r.stderr().contains("openjdk-17-jdk-headless maven"), r.stderr());
        assertTrue(r.stderr().contains(root() ? "--yes" : "sudo apt-get install"), r.stderr());
    }

    @Test
    void yes_installsTheBuildToolsWithAptGet() throws Exception {
        assumeTrue(root(), "the launcher installs only as root");
        Run r = launch("--yes", "demo");
        assertTrue(r.aptCalls().contains("install -y -qq --no-install-recommends openjdk-17-jdk-headless maven"),
                r.aptCalls() + r.stderr());
        assertNotEquals(0, r.exit(), "the fake apt-get installs nothing, so the build cannot run");
    }
}
