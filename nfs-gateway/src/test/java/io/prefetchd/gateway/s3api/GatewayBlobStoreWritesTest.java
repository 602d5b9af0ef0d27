package io.prefetchd.gateway.s3api;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.FileType;
import io.prefetchd.gateway.fs.FsError;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.MetadataSettings;
import io.prefetchd.gateway.fs.Owner;
import io.prefetchd.gateway.fs.ReadObserver;
import io.prefetchd.gateway.fs.S3FileSystem;
import io.prefetchd.gateway.fs.staging.StagingSettings;
import io.prefetchd.gateway.fs.staging.WritableFileSystem;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import io.prefetchd.gateway.testing.ManualClock;
import io.prefetchd.gateway.testing.PassThroughCache;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bucket's writes over a writable file system and a fake store, without HTTP. */
class GatewayBlobStoreWritesTest {
    @TempDir
    Path tmp;

    private final ManualClock clock = new ManualClock();
    private final InMemoryObjectStore store = new InMemoryObjectStore("data", clock);
    private final AtomicBoolean clientMayWrite = new AtomicBoolean(true);
    private WritableFileSystem fs;
    private GatewayBlobStore bucket;

    @BeforeEach
    void setUp() {
        store.put("train/a.bin", new byte[] {1, 2, 3});
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        S3FileSystem base = new S3FileSystem(store, "", new PassThroughCache(store), i -> i.path().hashCode(),
                MetadataSettings.withTtl(Duration.ofSeconds(30)), clock, Runnable::run, meters);
        fs = WritableFileSystem.open(base, store, new PassThroughCache(store), i -> i.path().hashCode(),
                new StagingSettings(tmp.resolve("staging"), 1 << 20, Duration.ofSeconds(1), Duration.ofSeconds(30),
                        5, 4, Duration.ofSeconds(1), Duration.ofSeconds(60)),
                new Owner(0, 0, 0666), new Owner(0, 0, 0777), Duration.ofMinutes(2), clock, Runnable::run, meters);
        bucket = new GatewayBlobStore("data", fs, (reader, file, version, offset, result) -> { }, 4096, clock, tmp.resolve("spool"),
                new Owner(0, 0, 0755), clientMayWrite::get, new S3ApiMetrics(meters));
    }

    @AfterEach
    void tearDown() {
        fs.close();
    }

    private static String md5(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b));
    }

    private String put(String key, byte[] b, String contentMd5, Map<String, String> metadata) {
        return bucket.putBlob(PutObjectRequest.builder().bucket("data").key(key).contentLength((long) b.length)
                .contentMD5(contentMd5).metadata(metadata).build(), new ByteArrayInputStream(b)).eTag();
    }

    @Test
    void put_inTheStoreWhenItAnswers_eTagIsTheMd5_spoolLeftEmpty() throws Exception {
        byte[] b = "checkpoint".getBytes();
        String md5 = Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(b));
        assertEquals("\"" + md5(b) + "\"", put("models/run/ckpt.pt", b, md5, Map.of()));
        assertArrayEquals(b, store.contents("models/run/ckpt.pt").orElseThrow());
        FileAttributes a = fs.getattr(new Inode(FileType.REGULAR, "models/run/ckpt.pt"));
        assertEquals(md5(b), a.etag());
        assertTrue(fs.lookup(Inode.ROOT, "models").isDirectory(), "folders above appear at once");
        try (var left = Files.list(tmp.resolve("spool"))) {
            assertEquals(0, left.count());
        }
    }

    @Test
    void put_wrongContentMd5OrShortBody_refused_nothingStored() throws Exception {
        S3Exception bad = assertThrows(S3Exception.class, () -> put("x.bin", new byte[] {1}, Base64.getEncoder()
                .encodeToString(MessageDigest.getInstance("MD5").digest(new byte[] {2})), Map.of()));
        assertEquals("BadDigest", bad.awsErrorDetails().errorCode());
        S3Exception shortBody = assertThrows(S3Exception.class, () -> bucket.putBlob(PutObjectRequest.builder()
                .bucket("data").key("x.bin").contentLength(10L).build(), new ByteArrayInputStream(new byte[3])));
        assertEquals("IncompleteBody", shortBody.awsErrorDetails().errorCode());
        assertTrue(store.contents("x.bin").isEmpty());
    }

    @Test
    void put_ownerAndMtimeFromS3fsMetadata_s3proxyNamesDropped() throws Exception {
        put("f.bin", new byte[] {7}, null, Map.of("mode", "33184", "uid", "1000", "gid", "100", "mtime",
                "1700000000.5", "s3proxy_checksum_crc32", "AAAAAA==", "color", "blue"));
        FileAttributes a = fs.getattr(new Inode(FileType.REGULAR, "f.bin"));
        assertEquals(new Owner(1000, 100, 0640), a.owner());
        Map<String, String> stored = store.userMetadata("f.bin").orElseThrow();
        assertEquals("blue", stored.get("color"));
        assertEquals("1700000000.5", stored.get("mtime"));
        assertTrue(stored.keySet().stream().noneMatch(k -> k.startsWith("s3proxy")), stored.toString());
        assertEquals(Instant.ofEpochSecond(1700000000, 500_000_000), ObjectOwnership.of(stored, Instant.EPOCH)
                .mtime());
    }

    @Test
    void writes_accessDeniedWhenTheClientMayNot() {
        clientMayWrite.set(false);
        S3Exception e = assertThrows(S3Exception.class, () -> put("x.bin", new byte[1], null, Map.of()));
        assertEquals(403, e.statusCode());
        S3Exception d = assertThrows(S3Exception.class, () -> bucket.removeBlob(DeleteObjectRequest.builder()
                .bucket("data").key("train/a.bin").build()));
        assertEquals("AccessDenied", d.awsErrorDetails().errorCode());
        assertTrue(store.contents("train/a.bin").isPresent());
    }

    @Test
    void delete_aFolderKeyWithoutSlash_changesNothing_aFileKeyRemovesIt() throws Exception {
        bucket.removeBlob(DeleteObjectRequest.builder().bucket("data").key("train").build());
        assertTrue(store.contents("train/a.bin").isPresent());
        bucket.removeBlob(DeleteObjectRequest.builder().bucket("data").key("train/a.bin").build());
        assertTrue(store.contents("train/a.bin").isEmpty());
        FsException gone = assertThrows(FsException.class,
                () -> fs.lookup(new Inode(FileType.DIRECTORY, "train"), "a.bin"));
        assertEquals(io.prefetchd.gateway.fs.FsError.NOENT, gone.error());
    }

    @Test
    void multipart_completedObjectIsTheNamedPartsInOrder_repeatedCompletionSameETag_thenNoSuchUpload()
            throws Exception {
        CreateMultipartUploadRequest create = CreateMultipartUploadRequest.builder().bucket("data").key("big.bin")
                .build();
        MultipartUpload mpu = bucket.initiateMultipartUpload(create);
        byte[] p1 = new byte[5 << 20];
        p1[0] = 1;
        byte[] p2 = {9, 8, 7};
        for (int n : new int[] {2, 1}) {
            byte[] b = n == 1 ? p1 : p2;
            bucket.uploadMultipartPart(mpu, UploadPartRequest.builder().partNumber(n).contentLength((long) b.length)
                    .build(), new ByteArrayInputStream(b));
        }
        assertEquals(List.of(1, 2), bucket.listMultipartUpload(mpu).stream().map(p -> p.partNumber()).toList());
        CompleteMultipartUploadRequest complete = CompleteMultipartUploadRequest.builder().multipartUpload(m -> m
                .parts(CompletedPart.builder().partNumber(1).build(), CompletedPart.builder().partNumber(2).build()))
                .build();
        String etag = bucket.completeMultipartUpload(mpu, complete).eTag();
        byte[] whole = new byte[p1.length + p2.length];
        System.arraycopy(p1, 0, whole, 0, p1.length);
        System.arraycopy(p2, 0, whole, p1.length, p2.length);
        assertArrayEquals(whole, store.contents("big.bin").orElseThrow());
        assertEquals(etag, bucket.completeMultipartUpload(mpu, complete).eTag(), "a repeated completion");
        assertEquals(List.of(), bucket.listMultipartUploads("data"));
        S3Exception e = assertThrows(S3Exception.class, () -> bucket.abortMultipartUpload(mpu));
        assertEquals("NoSuchUpload", e.awsErrorDetails().errorCode());
        clock.advance(MultipartUploads.REMEMBER_COMPLETED.plusMinutes(1));
        bucket.initiateMultipartUpload(create);   // forgets completed uploads past the horizon
        S3Exception forgotten = assertThrows(S3Exception.class, () -> bucket.listMultipartUpload(mpu));
        assertEquals("NoSuchUpload", forgotten.awsErrorDetails().errorCode());
    }
}
