package io.prefetchd.gateway.embedded;

import static io.prefetchd.gateway.embedded.EmbeddedS3IT.join;
import static io.prefetchd.gateway.embedded.EmbeddedS3IT.quotedMd5;
import static io.prefetchd.gateway.embedded.EmbeddedS3IT.s3Error;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Where the embedded store (S3Proxy 4.1.0, FilesystemNio2BlobStore) differs from AWS S3, or
 * matches it in ways the gateway depends on. Each test pins today's behaviour so that an S3Proxy
 * upgrade that changes it is noticed; the list is in the {@code embedded} package documentation.
 */
class EmbeddedS3QuirksIT {

    @TempDir
    static Path dataDir;
    static EmbeddedS3 s3;
    /** No retries: the store answers some requests with 500, which the SDK would retry 3 times. */
    static S3AsyncClient client;
    private static final AtomicInteger BUCKETS = new AtomicInteger();
    /** A fresh bucket per test (one server and client for all: closing a Netty client takes 2 s). */
    String bucket;

    @BeforeAll
    static void start() throws IOException {
        s3 = EmbeddedS3.start(dataDir);
        client = S3AsyncClient.builder()
                .endpointOverride(s3.endpoint()).forcePathStyle(true).region(s3.region())
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(s3.accessKey(), s3.secretKey())))
                .httpClientBuilder(NettyNioAsyncHttpClient.builder())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
    }

    @AfterAll
    static void stop() {
        client.close();
        s3.close();
    }

    @BeforeEach
    void freshBucket() {
        bucket = "quirks-" + BUCKETS.incrementAndGet();
        join(client.createBucket(b -> b.bucket(bucket)));
    }

    /**
     * The PUT failed on the server: a 500, or (depending on timing, Jetty closes the connection after the error)
     * the connection dropped before the client read the status. Seen both ways on this machine.
     */
    private static void assertServerRefused(CompletableFuture<?> put) {
        Throwable t = assertThrows(CompletionException.class, put::join).getCause();
        if (t instanceof S3Exception e) {
            assertEquals(500, e.statusCode());
        } else {
            assertInstanceOf(SdkClientException.class, t);
            assertTrue(t.getMessage().contains("connection was closed"), t.getMessage());
        }
    }

    @Test
    void quirk_objectThenKeyBelowIt_secondPutIsRefused() {
        // AWS: "x" and "x/y" are independent keys. Here "x" is a file, so "x/" cannot be a folder.
        put("x", "file");
        assertServerRefused(client.putObject(b -> b.bucket(bucket).key("x/y"), AsyncRequestBody.fromString("y")));
        assertEquals(List.of("x"), keys(join(client.listObjectsV2(b -> b.bucket(bucket))).contents()));
    }

    @Test
    void quirk_folderThenObjectWithFolderName_putIsRefused() {
        put("d/e", "child");
        assertServerRefused(client.putObject(b -> b.bucket(bucket).key("d"), AsyncRequestBody.fromString("d")));
        assertEquals(List.of("d/e"), keys(join(client.listObjectsV2(b -> b.bucket(bucket))).contents()));
    }

    @Test
    void quirk_emptyAndDotPathSegments_areCollapsedIntoAnotherKey() {
        // AWS keeps "a//b" and "c/./d" as distinct keys; here they become "a/b" and "c/d"
        put("a//b", "double slash");
        put("c/./d", "dot");
        assertEquals(List.of("a/b", "c/d"), keys(join(client.listObjectsV2(b -> b.bucket(bucket))).contents()));
        assertArrayEquals("double slash".getBytes(StandardCharsets.UTF_8), get("a/b"));
    }

    @Test
    void quirk_dotDotSegment_isRefusedByJettyAndWritesNothing() throws IOException {
        // Jetty refuses the ambiguous URI with 400 and drops the connection, so depending on
        // timing the client sees the 400 or "connection was closed"; either way nothing is written
        CompletionException e = assertThrows(CompletionException.class, () -> join(client.putObject(
                b -> b.bucket(bucket).key("a/../../escape"), AsyncRequestBody.fromString("z"))));
        Throwable cause = e.getCause();
        if (cause instanceof S3Exception s3e) {
            assertEquals(400, s3e.statusCode());
        } else {
            assertInstanceOf(SdkClientException.class, cause, String.valueOf(cause));
            assertTrue(cause.getMessage().contains("connection was closed"), cause.getMessage());
        }
        try (var files = Files.walk(dataDir.getParent(), 3)) {
            assertEquals(List.of(), files.filter(p -> p.getFileName().toString().equals("escape")).toList());
        }
    }

    @Test
    void quirk_listingOrder_isUtf16NotUtf8() {
        // AWS lists in UTF-8 byte order: U+FF21 (EF BC A1) before U+1F600 (F0 9F 98 80).
        // Java String order (UTF-16) puts the surrogate pair D83D.. first, and so does this store.
        String fullwidthA = "u/\uFF21";
        String emoji = "u/\uD83D\uDE00";
        put(fullwidthA, "1");
        put(emoji, "2");
        assertEquals(List.of(emoji, fullwidthA),
                keys(join(client.listObjectsV2(b -> b.bucket(bucket).prefix("u/"))).contents()));
    }

    @Test
    void asAws_asciiListingOrder_isByteOrderWithSlashAsPlainCharacter() {
        for (String k : List.of("o/a0", "o/a/b", "o/a-b", "o/A", "o/a b")) {
            put(k, k);
        }
        assertEquals(List.of("o/A", "o/a b", "o/a-b", "o/a/b", "o/a0"),
                keys(join(client.listObjectsV2(b -> b.bucket(bucket).prefix("o/"))).contents()));
    }

    @Test
    void quirk_fileCopiedIntoFolder_isListedButHasNoEtagAndIgnoresIfMatch() throws IOException {
        // metadata (the MD5 behind the ETag) lives in xattrs that only uploads through S3 write
        Files.writeString(dataDir.resolve(bucket).resolve("dropped.txt"), "copied in by hand\n");
        List<S3Object> listed = join(client.listObjectsV2(b -> b.bucket(bucket))).contents();
        assertEquals(List.of("dropped.txt"), keys(listed));
        assertNull(listed.get(0).eTag());
        assertNull(join(client.headObject(b -> b.bucket(bucket).key("dropped.txt"))).eTag());
        byte[] body = join(client.getObject(b -> b.bucket(bucket).key("dropped.txt").ifMatch("\"not-the-etag\""),
                AsyncResponseTransformer.toBytes())).asByteArray();
        assertEquals("copied in by hand\n", new String(body, StandardCharsets.UTF_8));
    }

    @Test
    void quirk_emptyFolderOnDisk_isListedAsCommonPrefix() throws IOException {
        // AWS has no folders: with no key below it, a prefix does not appear
        Files.createDirectories(dataDir.resolve(bucket).resolve("empty"));
        ListObjectsV2Response r = join(client.listObjectsV2(b -> b.bucket(bucket).delimiter("/")));
        assertEquals(List.of("empty/"), r.commonPrefixes().stream().map(CommonPrefix::prefix).toList());
    }

    @Test
    void asAws_deletingLastKeyInFolder_removesThePrefix() {
        put("gone/soon.txt", "x");
        join(client.deleteObject(b -> b.bucket(bucket).key("gone/soon.txt")));
        ListObjectsV2Response r = join(client.listObjectsV2(b -> b.bucket(bucket).delimiter("/")));
        assertEquals(List.of(), r.commonPrefixes());
        assertEquals(List.of(), r.contents());
    }

    @Test
    void asAws_folderMarkerObject_coexistsWithKeysBelowIt() {
        put("marker/", "");
        put("marker/in.txt", "in");
        ListObjectsV2Response r = join(client.listObjectsV2(b -> b.bucket(bucket).prefix("marker/").delimiter("/")));
        assertEquals(List.of("marker/", "marker/in.txt"), keys(r.contents()));
        assertEquals(0L, r.contents().get(0).size());
    }

    @Test
    void asAws_multipartEtag_isMd5OfPartMd5sWithPartCount() throws Exception {
        byte[] part1 = new byte[5 * 1024 * 1024];
        byte[] part2 = "tail".getBytes(StandardCharsets.UTF_8);
        String id = join(client.createMultipartUpload(b -> b.bucket(bucket).key("mp.bin"))).uploadId();
        String e1 = join(client.uploadPart(b -> b.bucket(bucket).key("mp.bin").uploadId(id).partNumber(1),
                AsyncRequestBody.fromBytes(part1))).eTag();
        String e2 = join(client.uploadPart(b -> b.bucket(bucket).key("mp.bin").uploadId(id).partNumber(2),
                AsyncRequestBody.fromBytes(part2))).eTag();
        String etag = join(client.completeMultipartUpload(b -> b.bucket(bucket).key("mp.bin").uploadId(id)
                .multipartUpload(m -> m.parts(CompletedPart.builder().partNumber(1).eTag(e1).build(),
                        CompletedPart.builder().partNumber(2).eTag(e2).build())))).eTag();
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        md5.update(MessageDigest.getInstance("MD5").digest(part1));
        md5.update(MessageDigest.getInstance("MD5").digest(part2));
        assertEquals("\"" + HexFormat.of().formatHex(md5.digest()) + "-2\"", etag);
        assertEquals(etag, join(client.headObject(b -> b.bucket(bucket).key("mp.bin"))).eTag());
    }

    @Test
    void asAws_ifMatch_acceptsUnquotedEtagAndHeadChecksItToo() {
        String etag = put("k", "value");
        assertEquals(quotedMd5("value".getBytes(StandardCharsets.UTF_8)), etag);
        String unquoted = etag.substring(1, etag.length() - 1);
        assertArrayEquals("va".getBytes(StandardCharsets.UTF_8), join(client.getObject(
                b -> b.bucket(bucket).key("k").range("bytes=0-1").ifMatch(unquoted),
                AsyncResponseTransformer.toBytes())).asByteArray());
        assertEquals(412, s3Error(client.headObject(b -> b.bucket(bucket).key("k").ifMatch("\"0000\""))).statusCode());
        assertEquals(304, s3Error(client.getObject(b -> b.bucket(bucket).key("k").ifNoneMatch(etag),
                AsyncResponseTransformer.toBytes())).statusCode());
    }

    @Test
    void quirk_headObject_sendsNoAcceptRanges() {
        // AWS answers HEAD with "Accept-Ranges: bytes"; ranged GETs work here all the same
        put("k", "value");
        assertNull(join(client.headObject(b -> b.bucket(bucket).key("k"))).acceptRanges());
    }

    @Test
    void quirk_lastModified_isTheFileMtime() throws IOException {
        put("k", "value");
        Files.setLastModifiedTime(dataDir.resolve(bucket).resolve("k"),
                java.nio.file.attribute.FileTime.fromMillis(1_000_000_000_000L));
        assertEquals(java.time.Instant.ofEpochMilli(1_000_000_000_000L),
                join(client.headObject(b -> b.bucket(bucket).key("k"))).lastModified());
    }

    private String put(String key, String content) {
        return join(client.putObject(b -> b.bucket(bucket).key(key), AsyncRequestBody.fromString(content))).eTag();
    }

    private byte[] get(String key) {
        return join(client.getObject(b -> b.bucket(bucket).key(key), AsyncResponseTransformer.toBytes())).asByteArray();
    }

    private static List<String> keys(List<S3Object> objects) {
        return objects.stream().map(S3Object::key).toList();
    }
}
