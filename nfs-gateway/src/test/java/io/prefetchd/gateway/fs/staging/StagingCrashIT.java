package io.prefetchd.gateway.fs.staging;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.fs.CreateHow;
import io.prefetchd.gateway.fs.FileType;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.MetadataSettings;
import io.prefetchd.gateway.fs.NewAttributes;
import io.prefetchd.gateway.fs.Owner;
import io.prefetchd.gateway.fs.S3FileSystem;
import io.prefetchd.gateway.s3.ObjectMeta;
import io.prefetchd.gateway.s3.S3ObjectStore;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.gateway.testing.PassThroughCache;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletionException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Writes through the writable file system to a real S3 server (S3Proxy in-process), "kills" the gateway after the
 * writes were acknowledged as stable but before any upload (the file system is dropped without closing), opens a
 * new one on the same staging folder, and checks that S3 ends up with exactly the acknowledged bytes.
 */
class StagingCrashIT {
    private static final Owner ALICE = new Owner(1000, 1000, 0640);
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    @Test
    void acknowledgedWrites_surviveAKill_andAreUploadedAfterTheRestart() throws Exception {
        try (S3ProxyFixture s3 = S3ProxyFixture.start()) {
            s3.createBucket("data");
            s3.put("data", "models/readme.txt", "hello".getBytes());
            try (S3ObjectStore store = s3.openStore("data", new SimpleMeterRegistry())) {
                assumeUploads(store);
                byte[] expected = new byte[3 * 1024 * 1024 + 123];
                new Random(7).nextBytes(expected);

                WritableFileSystem first = open(store);
                Inode ckpt = first.create(new Inode(FileType.DIRECTORY, "models"), "ckpt.pt",
                        new CreateHow(CreateHow.Mode.GUARDED, 0, NewAttributes.NONE), ALICE);
                for (int at = 0; at < expected.length; at += 1 << 20) {   // as a client's 1 MiB WRITEs
                    int n = Math.min(1 << 20, expected.length - at);
                    first.write(ckpt, at, ByteBuffer.wrap(expected, at, n), false);
                }
                first.commit(ckpt);
                // killed here: no close, no upload; a new gateway opens the same staging folder
                WritableFileSystem second = open(store);
                try {
                    awaitUploads(second);

                    ObjectMeta m = store.head("models/ckpt.pt").orElseThrow();
                    assertEquals(expected.length, m.size());
                    assertArrayEquals(expected, store.getRange("models/ckpt.pt", m.etag(), 0, expected.length).join());
                    Map<String, String> meta = store.userMetadata("models/ckpt.pt").orElseThrow();
                    assertEquals("1000", meta.get("uid"));
                    assertEquals(Integer.toString(0100640), meta.get("mode"));
                    assertEquals(expected.length, second.getattr(ckpt).size());
                } finally {
                    second.close();
                }
            }
        }
    }

    private WritableFileSystem open(S3ObjectStore store) {
        Clock clock = Clock.systemUTC();
        S3FileSystem base = new S3FileSystem(store, "", new PassThroughCache(store), i -> i.path().hashCode(),
                MetadataSettings.withTtl(Duration.ofSeconds(30)), clock, Runnable::run, new SimpleMeterRegistry());
        StagingSettings settings = new StagingSettings(tmp.resolve("staging"), 1L << 30, Duration.ZERO,
                Duration.ofSeconds(30), 100, 2, Duration.ofMillis(100), Duration.ofSeconds(1));
        return WritableFileSystem.open(base, store, i -> i.path().hashCode(), settings, new Owner(0, 0, 0444),
                new Owner(0, 0, 0555), Duration.ofMinutes(2), clock, new SimpleMeterRegistry());
    }

    /** Runs the uploader until nothing is staged, as the gateway's upload thread does. */
    private static void awaitUploads(WritableFileSystem fs) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!fs.status().pending().isEmpty()) {
            assertTrue(System.nanoTime() < deadline, "uploads still pending: " + fs.status());
            fs.runUploads();
            Thread.sleep(50);
        }
    }

    /** Skips (with the reason) where this branch's S3 store cannot upload yet. */
    private void assumeUploads(S3ObjectStore store) throws Exception {
        Path probe = Files.writeString(tmp.resolve("probe"), "probe");
        try {
            store.upload("probe", probe, Map.of(), false, null).join();
        } catch (UnsupportedOperationException | CompletionException e) {
            Assumptions.assumeTrue(!(e instanceof UnsupportedOperationException
                    || e.getCause() instanceof UnsupportedOperationException),
                    "S3ObjectStore.upload is not implemented on this branch");
            throw e;
        }
        store.delete("probe");
    }
}
