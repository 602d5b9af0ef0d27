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
import io.prefetchd.gateway.s3.UploadSettings;
import io.prefetchd.gateway.testing.PassThroughCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.prefetchd.gateway.testing.Await.await;

/**
 * Uploads that run while a file is written, against a real S3 server (S3Proxy in-process) with S3's smallest
 * parts: the parts go up before the close and the object is exact after it; and a gateway "killed" while the
 * upload runs leaves nothing behind: the next start aborts it and uploads exactly the committed bytes.
 */
class StreamingUploadIT {
    private static final Owner ALICE = new Owner(1000, 1000, 0640);
    private static final int PART = (int) UploadSettings.S3_MIN_PART;

    @TempDir
    Path tmp;

    private SimpleMeterRegistry meters;

    @Test
    void sequentialWrite_partsGoUpBeforeTheClose_andTheObjectIsExact() throws Exception {
        try (S3ProxyFixture s3 = S3ProxyFixture.start()) {
            s3.createBucket("data");
            s3.put("data", "models/readme.txt", "hello".getBytes());
            try (S3ObjectStore store = s3.openStore("data", new SimpleMeterRegistry())) {
                byte[] expected = random(5 * PART + 4321, 1);
                WritableFileSystem fs = open(store);
                try {
                    Inode f = writeCheckpoint(fs, expected);
                    await(() -> parts("while_writing") == 4, "four parts are in S3 before the close");
                    assertTrue(store.head("models/ckpt.pt").isEmpty(), "nothing is visible before the close");

                    fs.closed(f);
                    awaitUploads(fs);

                    ObjectMeta m = store.head("models/ckpt.pt").orElseThrow();
                    assertEquals(expected.length, m.size());
                    assertArrayEquals(expected, store.getRange("models/ckpt.pt", m.etag(), 0, expected.length).join());
                    assertEquals(2, parts("at_upload"), "only the tail after the close");
                    assertTrue(fs.area().pendingMultiparts().isEmpty());
                } finally {
                    fs.close();
                }
            }
        }
    }

    @Test
    void killWhileStreaming_theNextStartAbortsTheUpload_andUploadsTheCommittedBytes() throws Exception {
        try (S3ProxyFixture s3 = S3ProxyFixture.start()) {
            s3.createBucket("data");
            s3.put("data", "models/readme.txt", "hello".getBytes());
            try (S3ObjectStore store = s3.openStore("data", new SimpleMeterRegistry())) {
                byte[] expected = random(5 * PART + 99, 2);
                WritableFileSystem first = open(store);
                Inode f = writeCheckpoint(first, expected);
                first.commit(f);
                await(() -> parts("while_writing") == 4, "four parts are in S3");
                assertEquals(1, first.area().pendingMultiparts().size());
                // killed here: no close; a new gateway opens the same staging folder
                WritableFileSystem second = open(store);
                try {
                    await(() -> second.area().pendingMultiparts().isEmpty(), "the upload the kill left is aborted");
                    awaitUploads(second);

                    ObjectMeta m = store.head("models/ckpt.pt").orElseThrow();
                    assertEquals(expected.length, m.size());
                    assertArrayEquals(expected, store.getRange("models/ckpt.pt", m.etag(), 0, expected.length).join());
                } finally {
                    second.close();
                }
            }
        }
    }

    private Inode writeCheckpoint(WritableFileSystem fs, byte[] bytes) throws Exception {
        Inode f = fs.create(new Inode(FileType.DIRECTORY, "models"), "ckpt.pt",
                new CreateHow(CreateHow.Mode.GUARDED, 0, NewAttributes.NONE), ALICE);
        for (int at = 0; at < bytes.length; at += 1 << 20) {   // as a client's 1 MiB WRITEs
            fs.write(f, at, ByteBuffer.wrap(bytes, at, Math.min(1 << 20, bytes.length - at)), false);
        }
        return f;
    }

    private WritableFileSystem open(S3ObjectStore store) {
        Clock clock = Clock.systemUTC();
        PassThroughCache cache = new PassThroughCache(store);
        S3FileSystem base = new S3FileSystem(store, "", cache, i -> i.path().hashCode(),
                MetadataSettings.withTtl(Duration.ofSeconds(30)), clock, Runnable::run, new SimpleMeterRegistry());
        StagingSettings settings = new StagingSettings(tmp.resolve("staging"), 1L << 30, Duration.ZERO,
                Duration.ofSeconds(30), 100, 2, Duration.ofMillis(100), Duration.ofSeconds(1))
                .withStreamingPartSize(PART);
        return WritableFileSystem.open(base, store, cache, i -> i.path().hashCode(), settings, new Owner(0, 0, 0444),
                new Owner(0, 0, 0555), Duration.ofMinutes(2), clock, Runnable::run, meters = new SimpleMeterRegistry());
    }

    private double parts(String when) {
        return meters.get("prefetchd.upload.streamed.parts").tag("when", when).counter().count();
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Runs the uploader until nothing is staged, as the gateway's upload thread does. */
    private static void awaitUploads(WritableFileSystem fs) throws InterruptedException {
        await(() -> {
            fs.runUploads();
            return fs.status().pending().isEmpty();
        }, "the uploads end");
    }
}
