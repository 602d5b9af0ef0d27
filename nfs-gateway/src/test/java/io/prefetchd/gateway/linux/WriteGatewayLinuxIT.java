package io.prefetchd.gateway.linux;

import io.micronaut.context.ApplicationContext;
import io.prefetchd.gateway.daemon.Daemon;
import io.prefetchd.gateway.daemon.Gateway;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.gateway.testing.VmNfsClient;
import io.prefetchd.testing.Prerequisites;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The write workload of {@link WriteLinuxIT} through the whole gateway, started as {@code serve --read-write} over
 * S3Proxy: the checkpoint written through the mount becomes an object in the bucket with the same bytes, and the
 * temporary name it was written under does not remain.
 */
class WriteGatewayLinuxIT {
    private static final String BUCKET = "write-gateway-it";
    private static final VmNfsClient VM = VmNfsClient.locate();
    /** How long an upload after CLOSE may take on a slow CI machine. */
    private static final Duration UPLOAD_DEADLINE = Duration.ofSeconds(120);
    private static S3ProxyFixture s3;
    private static ApplicationContext daemon;
    @TempDir
    static Path work;

    @BeforeAll
    static void start() throws Exception {
        Prerequisites.require(VM.isAvailable(), VM.unavailableReason());
        s3 = S3ProxyFixture.startOnDisk(Files.createDirectories(work.resolve("s3")));
        s3.createBucket(BUCKET);
        s3.put(BUCKET, "datasets/readme.txt", "read-only data\n".getBytes());
        Map<String, Object> p = s3.writableDaemonProperties(BUCKET, work.resolve("state"));
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
    void checkpointWrittenThroughTheMount_becomesAnObjectWithTheSameBytes() throws Exception {
        Path out = WriteLinuxIT.runWorkload(daemon.getBean(Gateway.class).nfsPort(), "4.1",
                Files.createTempDirectory(work, "guest"));
        String md5 = WriteLinuxIT.checkWhatTheGuestSaw(out, "4.1");
        byte[] object = awaitObject("ckpt.pt");
        assertEquals(md5, HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(object)));
        assertNull(s3.get(BUCKET, "ckpt.tmp"), "the temporary name was renamed away");
        assertNotNull(awaitObject("moved.txt"));

        // df: the staging area's size (the default, 10 GiB) and files free, not the read cache and 0 files free
        long[] statfs = Arrays.stream(Files.readString(out.resolve("statfs.txt")).trim().split(" "))
                .mapToLong(Long::parseLong).toArray();
        assertEquals(10L << 30, statfs[0] * statfs[1], "total bytes");
        assertTrue(statfs[2] > 0 && statfs[2] <= statfs[1], "blocks available");
        assertTrue(statfs[4] > 0, "files free");
    }

    /** The object's bytes once S3 has it; the upload after CLOSE is asynchronous, so this polls until a deadline. */
    private static byte[] awaitObject(String key) throws InterruptedException {
        Instant deadline = Instant.now().plus(UPLOAD_DEADLINE);
        while (true) {
            byte[] bytes = s3.get(BUCKET, key);
            if (bytes != null) {
                return bytes;
            }
            if (Instant.now().isAfter(deadline)) {
                fail(key + " did not reach S3 within " + UPLOAD_DEADLINE);
            }
            Thread.sleep(200);
        }
    }
}
