package io.prefetchd.gateway.linux;

import io.micronaut.context.ApplicationContext;
import io.prefetchd.gateway.daemon.Daemon;
import io.prefetchd.gateway.daemon.Gateway;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.gateway.testing.GuestScripts;
import io.prefetchd.gateway.testing.VmNfsClient;
import io.prefetchd.testing.Prerequisites;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two kernel clients of one read-write gateway (two mounts with their own caches, in one guest), over S3Proxy, with
 * a 16 MiB staging area and uploads held back: what one client wrote and closed, the other's next open reads
 * (close-to-open), and a write beyond the staging budget fails with ENOSPC at the writer while a file fsynced
 * before keeps its bytes.
 */
class TwoClientsLinuxIT {
    private static final VmNfsClient VM = VmNfsClient.locate();
    private static S3ProxyFixture s3;
    private static ApplicationContext daemon;
    @TempDir
    static Path work;

    @BeforeAll
    static void start() throws Exception {
        Prerequisites.require(VM.isAvailable(), VM.unavailableReason());
        s3 = S3ProxyFixture.startOnDisk(Files.createDirectories(work.resolve("s3")));
        s3.createBucket("two-clients-it");
        Map<String, Object> p = s3.writableDaemonProperties("two-clients-it", work.resolve("state"));
        p.put("prefetchd.write.staging-size", "16MiB");
        p.put("prefetchd.write.upload-delay", "10m"); // written bytes stay staged for the whole test
        daemon = Daemon.start(p);
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            daemon.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void closeToOpenAcrossClients_andStagingFull_isEnospcAtTheWriter() throws Exception {
        Path dir = Files.createTempDirectory(work, "guest");
        Path out = Files.createDirectories(dir.resolve("out")).toAbsolutePath();
        Path script = GuestScripts.writeScript("two_clients_staging_full.sh", dir.resolve("scripts"));
        VmNfsClient.Result r = VM.run(VmNfsClient.Options.mount(daemon.getBean(Gateway.class).nfsPort()).vers("4.1")
                .share(out).timeout(Duration.ofMinutes(4)), "sh", script.toString(), out.toString());
        r.assertSuccess();

        assertEquals("0", read(out, "mount-b.rc"), read(out, "mount-b.err"));
        assertEquals("version-1", read(out, "c2o-1.txt"));
        assertEquals("version-2, longer", read(out, "c2o-2.txt"), "the second client's open saw the new version");

        assertEquals("0", read(out, "kept.rc"), read(out, "kept.err"));
        assertNotEquals("0", read(out, "too-big.rc"), "64 MiB does not fit a 16 MiB staging area");
        assertTrue(read(out, "too-big.err").contains("No space left on device"), read(out, "too-big.err"));
        assertEquals(read(out, "kept.md5"), read(out, "kept-b.md5"),
                "the file fsynced before the staging area filled up keeps its bytes, read by the other client");
    }

    private static String read(Path dir, String name) throws Exception {
        return Files.readString(dir.resolve(name)).trim();
    }
}
