package io.prefetchd.gateway.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VmNfsClientTest {

    @Test
    void locate_walksUpToSharedToolsBesideTheRepository(@TempDir Path work) throws IOException {
        Path tool = executable(work.resolve("shared/tools/vm-nfs-client/vm-nfs-client"));
        Path module = Files.createDirectories(work.resolve("clone-42/nfs-gateway"));
        VmNfsClient vm = VmNfsClient.locate(Map.of(), module, true);
        assertTrue(vm.isAvailable(), vm.unavailableReason());
        assertEquals(tool, vm.script().orElseThrow());
    }

    @Test
    void locate_envOverride_winsOverSearch(@TempDir Path work) throws IOException {
        executable(work.resolve("shared/tools/vm-nfs-client/vm-nfs-client"));
        Path other = executable(work.resolve("elsewhere/vm-nfs-client"));
        VmNfsClient vm = VmNfsClient.locate(Map.of(VmNfsClient.ENV_OVERRIDE, other.toString()), work, true);
        assertEquals(other, vm.script().orElseThrow());
    }

    @Test
    void locate_envOverrideNotExecutable_isUnavailableNamingTheVariable(@TempDir Path work) {
        VmNfsClient vm = VmNfsClient.locate(Map.of(VmNfsClient.ENV_OVERRIDE, work.resolve("nope").toString()), work, true);
        assertFalse(vm.isAvailable());
        assertTrue(vm.unavailableReason().contains(VmNfsClient.ENV_OVERRIDE), vm.unavailableReason());
    }

    @Test
    void locate_toolMissing_isUnavailableWithHint(@TempDir Path work) {
        VmNfsClient vm = VmNfsClient.locate(Map.of(), work, true);
        assertFalse(vm.isAvailable());
        assertTrue(vm.unavailableReason().contains("shared/tools/vm-nfs-client/vm-nfs-client"), vm.unavailableReason());
        assertThrows(IllegalStateException.class, () -> vm.run(2049, null, Duration.ofSeconds(10), "true"));
    }

    @Test
    void locate_notRoot_isUnavailableSayingSo(@TempDir Path work) throws IOException {
        executable(work.resolve("shared/tools/vm-nfs-client/vm-nfs-client"));
        VmNfsClient vm = VmNfsClient.locate(Map.of(), work, false);
        assertFalse(vm.isAvailable());
        assertTrue(vm.unavailableReason().contains("root"), vm.unavailableReason());
    }

    @Test
    void options_toArgs_mapsEveryOption() {
        VmNfsClient.Options o = VmNfsClient.Options.noMount(20490).vers("4.1").mountOptions("ro,noac")
                .export("/sub").timeout(Duration.ofSeconds(90)).share(Path.of("/tmp/x")).verbose(true);
        assertEquals(List.of("--port", "20490", "--vers", "4.1", "--opts", "ro,noac", "--export", "/sub",
                "--no-mount", "--timeout", "90", "--share", "/tmp/x", "-v"), o.toArgs());
        assertEquals(List.of("--port", "2049", "--timeout", "180"), VmNfsClient.Options.mount(2049).toArgs());
    }

    @Test
    void result_mountFailure_leadsItsDescriptionWithTheMeaning() {
        VmNfsClient.Result r = new VmNfsClient.Result(List.of("vm-nfs-client", "--port", "1", "--", "true"),
                32, "", "mount: nothing is listening on 127.0.0.1:1", Duration.ofMillis(40), false);
        assertTrue(r.mountFailed());
        assertTrue(r.describe().startsWith("exit 32: the NFS mount failed"), r.describe());
        assertTrue(r.describe().contains("nothing is listening"), r.describe());
        AssertionError e = assertThrows(AssertionError.class, r::assertSuccess);
        assertTrue(e.getMessage().contains("exit 32"), e.getMessage());
    }

    private static Path executable(Path p) throws IOException {
        Files.createDirectories(p.getParent());
        Files.writeString(p, "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }
}
