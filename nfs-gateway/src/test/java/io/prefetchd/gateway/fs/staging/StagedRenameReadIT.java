package io.prefetchd.gateway.fs.staging;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.fs.CreateHow;
import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.FileType;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.MetadataSettings;
import io.prefetchd.gateway.fs.NewAttributes;
import io.prefetchd.gateway.fs.Owner;
import io.prefetchd.gateway.fs.S3FileSystem;
import io.prefetchd.gateway.s3.S3ObjectStore;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.gateway.testing.PassThroughCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A checkpoint written to a temporary name, renamed into place and uploaded as a multipart object to a real S3
 * server (S3Proxy in-process): reads under the version pinned while it was staged, and under the attributes it
 * has once uploaded, give the written bytes (the object's multipart ETag is the one GETs are made with).
 */
class StagedRenameReadIT {
    private static final Owner ALICE = new Owner(1000, 1000, 0644);
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    @Test
    void renamedCheckpoint_readsBack_underTheStagedVersion_andAfterTheMultipartUpload() throws Exception {
        try (S3ProxyFixture s3 = S3ProxyFixture.start()) {
            s3.createBucket("data");
            try (S3ObjectStore store = s3.openStore("data", new SimpleMeterRegistry())) {
                byte[] expected = new byte[40 * 1024 * 1024 + 77];   // above the multipart threshold
                new Random(11).nextBytes(expected);
                WritableFileSystem fs = open(store);
                try {
                    Inode run = fs.mkdir(new Inode(FileType.DIRECTORY, ""), "run", NewAttributes.NONE, ALICE);
                    Inode tmpFile = fs.create(run, "model.pt.tmp",
                            new CreateHow(CreateHow.Mode.GUARDED, 0, NewAttributes.NONE), ALICE);
                    for (int at = 0; at < expected.length; at += 1 << 20) {
                        fs.write(tmpFile, at, ByteBuffer.wrap(expected, at, Math.min(1 << 20, expected.length - at)),
                                false);
                    }
                    fs.closed(tmpFile);
                    fs.rename(run, "model.pt.tmp", run, "model.pt");
                    Inode model = fs.lookup(run, "model.pt");
                    FileAttributes pinnedWhileStaged = fs.getattr(model);

                    awaitUploads(fs);

                    assertArrayEquals(expected, readAll(fs, model, pinnedWhileStaged));
                    assertArrayEquals(expected, readAll(fs, model, fs.getattr(model)));
                } finally {
                    fs.close();
                }
            }
        }
    }

    private static byte[] readAll(WritableFileSystem fs, Inode file, FileAttributes version) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (long at = 0; at < version.size(); ) {
            byte[] chunk = fs.read(file, version, at, 1 << 20).data();
            assertTrue(chunk.length > 0, "short read at " + at);
            out.write(chunk);
            at += chunk.length;
        }
        return out.toByteArray();
    }

    private WritableFileSystem open(S3ObjectStore store) {
        Clock clock = Clock.systemUTC();
        PassThroughCache cache = new PassThroughCache(store);
        S3FileSystem base = new S3FileSystem(store, "", cache, i -> i.path().hashCode(),
                MetadataSettings.withTtl(Duration.ofSeconds(30)), clock, Runnable::run, new SimpleMeterRegistry());
        StagingSettings settings = new StagingSettings(tmp.resolve("staging"), 1L << 30, Duration.ZERO,
                Duration.ofSeconds(30), 100, 2, Duration.ofMillis(100), Duration.ofSeconds(1));
        return WritableFileSystem.open(base, store, cache, i -> i.path().hashCode(), settings, new Owner(0, 0, 0444),
                new Owner(0, 0, 0555), Duration.ofMinutes(2), clock, Runnable::run, new SimpleMeterRegistry());
    }

    private static void awaitUploads(WritableFileSystem fs) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!fs.status().pending().isEmpty()) {
            assertTrue(System.nanoTime() < deadline, "uploads still pending: " + fs.status());
            fs.runUploads();
            Thread.sleep(50);
        }
    }
}
