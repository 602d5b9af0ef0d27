package io.prefetchd.gateway.s3api;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.Owner;
import io.prefetchd.gateway.fs.MetadataSettings;
import io.prefetchd.gateway.fs.ReadObserver;
import io.prefetchd.gateway.fs.ReadResult;
import io.prefetchd.gateway.fs.S3FileSystem;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import io.prefetchd.gateway.testing.ManualClock;
import io.prefetchd.gateway.testing.PassThroughCache;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The bucket over the file system, without HTTP: what GET, HEAD and writes answer, and what reads are announced. */
class GatewayBlobStoreTest {
    private static final int PART = 4096;

    @TempDir
    Path tmp;

    private final ManualClock clock = new ManualClock();
    private final InMemoryObjectStore store = new InMemoryObjectStore("data", clock);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final List<String> observed = new ArrayList<>();
    private final byte[] bytes = new byte[3 * PART + 100];
    private GatewayBlobStore bucket;
    private String etag;

    @BeforeEach
    void setUp() {
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 31 + 7);
        }
        etag = store.put("train/shard-0.tar", bytes);
        S3FileSystem fs = new S3FileSystem(store, "", new PassThroughCache(store), i -> i.path().hashCode(),
                new MetadataSettings(Duration.ofSeconds(30), Duration.ofHours(1), Duration.ofMinutes(5)), clock,
                Runnable::run, meters);
        ReadObserver observer = new ReadObserver() {
            @Override
            public void beforeRead(Reader reader, Inode file, FileAttributes version, long offset, int count) {
                observed.add("before " + reader.address() + " " + file.path() + " " + offset + "+" + count);
            }

            @Override
            public void onRead(Reader reader, Inode file, FileAttributes version, long offset, ReadResult result) {
                observed.add("read " + offset + "+" + result.data().length + (result.waitedOnS3() ? " waited" : ""));
            }
        };
        bucket = new GatewayBlobStore("data", fs, observer, PART, clock, tmp.resolve("spool"), new Owner(0, 0, 0755),
                () -> true, new S3ApiMetrics(meters));
    }

    private byte[] get(Consumer<GetObjectRequest.Builder> request) throws IOException {
        GetObjectRequest.Builder b = GetObjectRequest.builder().bucket("data").key("train/shard-0.tar");
        request.accept(b);
        try (ResponseInputStream<GetObjectResponse> in = bucket.getBlob(b.build())) {
            return in.readAllBytes();
        }
    }

    private double requests(String op, int status) {
        Counter c = meters.find("prefetchd.s3api.requests").tag("op", op).tag("status", Integer.toString(status))
                .counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void rangedGet_servesExactBytes_readInPartsAnnouncedAsReads() throws IOException {
        byte[] got = get(b -> b.range("bytes=100-" + (2 * PART + 99)));
        assertArrayEquals(Arrays.copyOfRange(bytes, 100, 2 * PART + 100), got);
        assertEquals(List.of(
                "before s3-api train/shard-0.tar 100+" + PART, "read 100+" + PART + " waited",
                "before s3-api train/shard-0.tar " + (PART + 100) + "+" + PART, "read " + (PART + 100) + "+" + PART
                        + " waited"), observed);
        assertEquals(1, requests("get", 206));
        assertEquals(2 * PART, meters.get("prefetchd.s3api.bytes").counter().count());
        assertEquals(2, meters.get("prefetchd.s3api.parts").tag("outcome", "miss").counter().count());
    }

    @Test
    void get_wholeObject_andSuffixRange_exactBytes() throws IOException {
        assertArrayEquals(bytes, get(b -> { }));
        assertArrayEquals(Arrays.copyOfRange(bytes, bytes.length - 10, bytes.length), get(b -> b.range("bytes=-10")));
        assertArrayEquals(Arrays.copyOfRange(bytes, bytes.length - 5, bytes.length),
                get(b -> b.range("bytes=" + (bytes.length - 5) + "-" + (bytes.length + 1000))), "clipped at the end");
    }

    @Test
    void get_rangeAtEnd_invalidRange416() {
        S3Exception e = assertThrows(S3Exception.class, () -> get(b -> b.range("bytes=" + bytes.length + "-")));
        assertEquals(416, e.statusCode());
        assertEquals("InvalidRange", e.awsErrorDetails().errorCode());
        assertEquals(List.of(), observed, "nothing read");
    }

    @Test
    void get_conditions_notModifiedAndPreconditionFailed() throws IOException {
        S3Exception notModified = assertThrows(S3Exception.class, () -> get(b -> b.ifNoneMatch("\"" + etag + "\"")));
        assertEquals(304, notModified.statusCode());
        S3Exception failed = assertThrows(S3Exception.class, () -> get(b -> b.ifMatch("\"other\"")));
        assertEquals(412, failed.statusCode());
        assertEquals("PreconditionFailed", failed.awsErrorDetails().errorCode());
        assertArrayEquals(bytes, get(b -> b.ifMatch("\"" + etag + "\"")));
        assertArrayEquals(bytes, get(b -> b.ifNoneMatch("\"other\"")));
    }

    @Test
    void get_missingKeyOrFolderOrOtherBucket_notFound() {
        for (String key : new String[] {"train/nope", "train", "train/", "/train/shard-0.tar", "a//b", "../x"}) {
            S3Exception e = assertThrows(S3Exception.class,
                    () -> bucket.getBlob(GetObjectRequest.builder().bucket("data").key(key).build()), key);
            assertEquals("NoSuchKey", e.awsErrorDetails().errorCode(), key);
            assertEquals(404, e.statusCode());
        }
        S3Exception e = assertThrows(S3Exception.class,
                () -> bucket.blobMetadata(HeadObjectRequest.builder().bucket("other").key("train/shard-0.tar").build()));
        assertEquals("NoSuchBucket", e.awsErrorDetails().errorCode());
        assertEquals(1, requests("head", 404));
    }

    @Test
    void head_sizeEtagWithoutReading() {
        var h = bucket.blobMetadata(HeadObjectRequest.builder().bucket("data").key("train/shard-0.tar").build());
        assertEquals(bytes.length, h.contentLength());
        assertEquals("\"" + etag + "\"", h.eTag());
        assertEquals(0, store.getCount());
    }

    @Test
    void writes_accessDenied_batchDeleteErrorsPerKey() {
        S3Exception e = assertThrows(S3Exception.class, () -> bucket.putBlob(
                PutObjectRequest.builder().bucket("data").key("x").build(), new ByteArrayInputStream(new byte[1])));
        assertEquals(403, e.statusCode());
        assertEquals("AccessDenied", e.awsErrorDetails().errorCode());
        DeleteObjectsResponse d = bucket.removeBlobs(DeleteObjectsRequest.builder().bucket("data").delete(
                Delete.builder().objects(ObjectIdentifier.builder().key("train/shard-0.tar").build()).build()).build());
        assertEquals(1, d.errors().size());
        assertEquals("AccessDenied", d.errors().get(0).code());
        assertEquals(1, requests("put", 403));
        assertEquals(bytes.length, store.contents("train/shard-0.tar").orElseThrow().length, "nothing changed");
    }
}
