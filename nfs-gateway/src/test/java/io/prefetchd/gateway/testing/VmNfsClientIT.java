package io.prefetchd.gateway.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.prefetchd.gateway.embedded.DemoDataset;
import io.prefetchd.testing.Prerequisites;

/**
 * The VM harness itself, before any NFS server exists: the tool is found, its mount failures
 * surface as exit 32 with the reason, and the guest script runs in a real guest and checks out.
 * One VM boot (6-10 s under TCG; the first run on a machine also installs QEMU, about 30 s).
 */
class VmNfsClientIT {

    private static final DemoDataset DEMO = new DemoDataset();
    private static VmNfsClient vm;

    @BeforeAll
    static void locate() {
        vm = VmNfsClient.locate();
        Prerequisites.require(vm.isAvailable(), vm.unavailableReason());
    }

    @Test
    void run_nothingListening_exits32SayingSo() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        VmNfsClient.Result r = vm.run(port, "4.1", Duration.ofSeconds(60), "true");
        assertTrue(r.mountFailed(), r.describe());
        assertTrue(r.stderr().contains("nothing is listening"), r.describe());
    }

    @Test
    void run_randomReadsScriptInGuestOverSharedFolder_allReadsMatch(@TempDir Path dir) throws IOException {
        List<String> files = List.of("README.txt", "imagefolder/train/dog/0003.jpg",
                "webdataset/train-000001.tar", "big/blob.bin");
        Path data = dir.resolve("data");
        for (String key : files) {
            Files.createDirectories(data.resolve(key).getParent());
            Files.write(data.resolve(key), DEMO.content(key));
        }
        Path script = GuestScripts.writeRandomReads(dir.resolve("scripts"));
        List<String> cmd = GuestScripts.randomReadsCommand(script, data.toString(), 11, GuestScripts.DEFAULT_READS, files);

        // no NFS server yet: --no-mount, and the files reach the guest over 9p (--share)
        VmNfsClient.Result r = vm.run(VmNfsClient.Options.noMount(2049).share(dir).timeout(Duration.ofSeconds(120)),
                cmd.toArray(String[]::new));

        r.assertSuccess();
        RandomReadsVerifier.verify(r.stdout(), DEMO::content, GuestScripts.DEFAULT_READS).assertOk();
    }
}
