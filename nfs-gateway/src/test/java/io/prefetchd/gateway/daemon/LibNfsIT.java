package io.prefetchd.gateway.daemon;

import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.gateway.testing.LibNfs;
import io.prefetchd.testing.Prerequisites;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionException;

import static org.junit.jupiter.api.Assertions.*;

/** libnfs (Debian libnfs-utils), an NFSv4.0-only client: nfs-ls, nfs-cat and nfs-cp against the gateway. */
class LibNfsIT {
    private static final Duration UPLOAD_DEADLINE = Duration.ofSeconds(60);

    @Test
    void nfsCat_returnsTheExactBytes_andNfsLsListsTheFolder(@TempDir Path state) {
        LibNfs libnfs = LibNfs.locate();
        Prerequisites.require(libnfs.isAvailable(), libnfs.unavailableReason());
        byte[] data = new byte[5 * 1024 * 1024 + 7];
        new Random(5).nextBytes(data);
        try (S3ProxyFixture s3 = S3ProxyFixture.start()) {
            s3.createBucket("libnfs");
            s3.put("libnfs", "dir/data.bin", data);
            s3.put("libnfs", "dir/hello.txt", "hello\n".getBytes());
            try (GatewayFixture gw = new GatewayFixture(s3, "libnfs", state).start()) {
                assertArrayEquals(data, libnfs.cat(gw.port(), "/dir/data.bin"));
                assertArrayEquals("hello\n".getBytes(), libnfs.cat(gw.port(), "/dir/hello.txt"));
                List<String> names = libnfs.ls(gw.port(), "/dir").stream()
                        .map(l -> l.substring(l.lastIndexOf(' ') + 1)).sorted().toList();
                assertEquals(List.of("data.bin", "hello.txt"), names);
            }
        }
    }

    /**
     * nfs-cp over NFSv4.0 (SETCLIENTID, OPEN with create and OPEN_CONFIRM, SETATTR of the size, WRITE, COMMIT,
     * CLOSE): the file becomes the object in S3 and reads back through the gateway. Small, because libnfs 4.0.0
     * cannot encode a larger NFSv4 WRITE (see {@link LibNfs}).
     */
    @Test
    void nfsCp_uploadsAFile_whoseObjectInS3HasItsMd5(@TempDir Path state, @TempDir Path local) throws Exception {
        LibNfs libnfs = LibNfs.locate();
        Prerequisites.require(libnfs.isAvailable(), libnfs.unavailableReason());
        byte[] data = new byte[LibNfs.MAX_NFS4_WRITE];
        new Random(7).nextBytes(data);
        Path file = Files.write(local.resolve("upload.bin"), data);
        try (S3ProxyFixture s3 = S3ProxyFixture.start()) {
            s3.createBucket("libnfs");
            try (GatewayFixture gw = new GatewayFixture(s3, "libnfs", state).withWrites().start()) {
                libnfs.copyTo(file, gw.port(), "/upload.bin");
                assertArrayEquals(data, libnfs.cat(gw.port(), "/upload.bin"));
                assertEquals(md5(data), md5(awaitObject(s3.adminClient(), "libnfs", "upload.bin")));
            }
        }
    }

    /** The object's bytes once its upload completed; polls with a deadline (uploads start after a delay). */
    private static byte[] awaitObject(S3AsyncClient client, String bucket, String key) throws InterruptedException {
        long deadline = System.nanoTime() + UPLOAD_DEADLINE.toNanos();
        while (true) {
            try {
                return client.getObject(b -> b.bucket(bucket).key(key), AsyncResponseTransformer.toBytes()).join()
                        .asByteArray();
            } catch (CompletionException e) {
                if (!(e.getCause() instanceof NoSuchKeyException) || System.nanoTime() > deadline) {
                    throw e;
                }
            }
            Thread.sleep(100); // polling a condition with a deadline, not timing a result
        }
    }

    private static String md5(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
    }
}
