package io.prefetchd.gateway.embedded;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The embedded S3 server through a real AWS SDK v2 client (Netty, path-style), with the demo
 * dataset in it: what the gateway relies on behaves like AWS S3. Differences from AWS are pinned
 * in {@link EmbeddedS3QuirksIT}.
 */
class EmbeddedS3IT {

    private static final DemoDataset DEMO = new DemoDataset();
    private static final Duration CALL = Duration.ofSeconds(60);

    @TempDir
    static Path dataDir;
    static EmbeddedS3 s3;
    static S3AsyncClient client;
    static String bucket;
    /** Second bucket for tests that write, so the demo bucket's listings stay exact. */
    static final String SCRATCH = "prefetchd-scratch";
    static DemoDataset.Summary seeded;
    /** The HTTP status of a plain request sent the moment {@code start} returned. */
    static int firstStatus;

    @BeforeAll
    static void startAndSeed() throws IOException, InterruptedException {
        s3 = EmbeddedS3.start(dataDir);
        firstStatus = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                s3.endpoint()).build(), java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
        client = s3.newAsyncClient();
        bucket = s3.bucket();
        seeded = DEMO.uploadTo(client, bucket);
        join(client.createBucket(b -> b.bucket(SCRATCH)));
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void start_servesBucketOnLoopbackWithDemoCredentials() {
        assertEquals("http", s3.endpoint().getScheme());
        assertEquals("127.0.0.1", s3.endpoint().getHost());
        assertTrue(s3.port() > 0);
        assertEquals(EmbeddedS3.DEFAULT_BUCKET, s3.bucket());
        assertEquals(EmbeddedS3.DEMO_ACCESS_KEY, s3.accessKey());
        assertEquals(EmbeddedS3.DEMO_SECRET_KEY, s3.secretKey());
        assertTrue(Files.isDirectory(dataDir.resolve(bucket)), "bucket folder created");
        // start returns a server that already answers: no retry, no wait before the first request
        assertTrue(firstStatus >= 200 && firstStatus < 500, "first request right after start: HTTP " + firstStatus);
    }

    @Test
    void uploadTo_freshBucket_uploadsEveryObject() {
        assertEquals(206, seeded.objects());
        assertEquals(DEMO.totalBytes(), seeded.bytes());
        assertEquals(seeded.objects(), seeded.uploaded() + seeded.skipped());
    }

    @Test
    void uploadTo_again_skipsObjectsThatExistWithSameSize() throws IOException {
        DemoDataset.Summary again = DEMO.uploadTo(client, bucket);
        assertEquals(0, again.uploaded());
        assertEquals(206, again.skipped());
        assertEquals(0, again.bytesUploaded());
    }

    @Test
    void listObjectsV2_rootWithDelimiter_showsReadmeAndTopFolders() {
        ListObjectsV2Response r = join(client.listObjectsV2(b -> b.bucket(bucket).delimiter("/")));
        assertEquals(List.of("README.txt"), keys(r.contents()));
        assertEquals(List.of("big/", "imagefolder/", "webdataset/"), prefixes(r.commonPrefixes()));
        assertFalse(r.isTruncated());
    }

    @Test
    void listObjectsV2_nestedFolder_showsClassFoldersAsPrefixes() {
        ListObjectsV2Response r = join(client.listObjectsV2(b -> b.bucket(bucket).prefix("imagefolder/train/").delimiter("/")));
        assertEquals(List.of(), r.contents());
        assertEquals(List.of("imagefolder/train/cat/", "imagefolder/train/dog/", "imagefolder/train/frog/",
                "imagefolder/train/ship/"), prefixes(r.commonPrefixes()));
    }

    @Test
    void listObjectsV2_smallPages_returnEveryKeyOnceInOrderWithSizesAndEtags() {
        List<S3Object> all = new ArrayList<>();
        String token = null;
        int pages = 0;
        do {
            String t = token;
            ListObjectsV2Response page = join(client.listObjectsV2(b -> b.bucket(bucket)
                    .prefix("imagefolder/train/dog/").delimiter("/").maxKeys(7).continuationToken(t)));
            assertTrue(page.contents().size() <= 7);
            all.addAll(page.contents());
            token = page.isTruncated() ? page.nextContinuationToken() : null;
            pages++;
        } while (token != null);
        assertEquals(8, pages);  // 50 keys / 7 per page
        List<String> expected = DEMO.imageKeys().stream().filter(k -> k.startsWith("imagefolder/train/dog/")).toList();
        assertEquals(expected, keys(all));
        for (S3Object o : all) {
            assertEquals(DEMO.size(o.key()), o.size(), o.key());
            assertEquals(quotedMd5(DEMO.content(o.key())), o.eTag(), o.key());
            assertNotNull(o.lastModified(), o.key());
        }
    }

    @Test
    void listObjectsV2_overThousandObjectsInOneFolder_pagesAtThousand() {
        int n = 1100;
        putMany("many/", n);
        ListObjectsV2Response first = join(client.listObjectsV2(b -> b.bucket(SCRATCH).prefix("many/").delimiter("/")));
        assertEquals(1000, first.contents().size());
        assertTrue(first.isTruncated());
        assertNotNull(first.nextContinuationToken());
        ListObjectsV2Response second = join(client.listObjectsV2(b -> b.bucket(SCRATCH).prefix("many/").delimiter("/")
                .continuationToken(first.nextContinuationToken())));
        assertEquals(100, second.contents().size());
        assertFalse(second.isTruncated());

        List<String> viaPaginator = new ArrayList<>();
        join(client.listObjectsV2Paginator(b -> b.bucket(SCRATCH).prefix("many/").maxKeys(250))
                .contents().subscribe(o -> viaPaginator.add(o.key())));
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            expected.add(String.format("many/f%05d.bin", i));
        }
        assertEquals(expected, viaPaginator);
    }

    @Test
    void getObject_ranges_returnExactBytesAndContentRange() {
        String key = DemoDataset.bigBlobKey();
        byte[] blob = DEMO.content(key);
        int n = blob.length;
        assertRange(key, blob, "bytes=0-0", 0, 1);
        assertRange(key, blob, "bytes=1000-1999", 1000, 1000);
        assertRange(key, blob, "bytes=4194000-4200000", 4_194_000, 6001);
        assertRange(key, blob, "bytes=" + (n - 10) + "-" + (n + 5000), n - 10, 10);  // end clipped to size
        assertRange(key, blob, "bytes=-100", n - 100, 100);                           // suffix
        assertRange(key, blob, "bytes=" + (n - 7) + "-", n - 7, 7);                   // open-ended
    }

    @Test
    void getObject_rangeStartingAtSize_is416() {
        long size = DEMO.size(DemoDataset.readmeKey());
        S3Exception e = s3Error(client.getObject(b -> b.bucket(bucket).key(DemoDataset.readmeKey())
                .range("bytes=" + size + "-" + (size + 10)), AsyncResponseTransformer.toBytes()));
        assertEquals(416, e.statusCode());
    }

    @Test
    void getObject_rangeInsideTarShard_returnsMemberBytes() {
        String key = DEMO.shardKeys().get(1);
        byte[] shard = DEMO.content(key);
        // the first member's data starts after its 512-byte header
        assertRange(key, shard, "bytes=512-1535", 512, 1024);
    }

    @Test
    void getObject_ifMatchCurrentEtag_servesRange() {
        String key = "imagefolder/train/frog/0007.jpg";
        String etag = join(client.headObject(b -> b.bucket(bucket).key(key))).eTag();
        ResponseBytes<GetObjectResponse> r = join(client.getObject(b -> b.bucket(bucket).key(key)
                .range("bytes=100-199").ifMatch(etag), AsyncResponseTransformer.toBytes()));
        assertArrayEquals(Arrays.copyOfRange(DEMO.content(key), 100, 200), r.asByteArray());
        assertEquals(etag, r.response().eTag());
    }

    @Test
    void getObject_ifMatchAfterOverwrite_is412() {
        String key = "dir/overwritten.bin";
        String oldEtag = join(client.putObject(b -> b.bucket(SCRATCH).key(key), AsyncRequestBody.fromString("version 1"))).eTag();
        String newEtag = join(client.putObject(b -> b.bucket(SCRATCH).key(key), AsyncRequestBody.fromString("version 2"))).eTag();
        assertFalse(oldEtag.equals(newEtag));
        S3Exception e = s3Error(client.getObject(b -> b.bucket(SCRATCH).key(key).range("bytes=0-3").ifMatch(oldEtag),
                AsyncResponseTransformer.toBytes()));
        assertEquals(412, e.statusCode());
        assertEquals("PreconditionFailed", e.awsErrorDetails().errorCode());
    }

    @Test
    void headObject_reportsMd5EtagLengthAndLastModified() {
        Instant before = Instant.now().minusSeconds(1);
        String key = "dir/head.bin";
        byte[] data = "head me".getBytes();
        String putEtag = join(client.putObject(b -> b.bucket(SCRATCH).key(key), AsyncRequestBody.fromBytes(data))).eTag();
        HeadObjectResponse h = join(client.headObject(b -> b.bucket(SCRATCH).key(key)));
        assertEquals(quotedMd5(data), putEtag);
        assertEquals(putEtag, h.eTag());
        assertEquals(data.length, h.contentLength());
        assertNotNull(h.lastModified());
        assertFalse(h.lastModified().isBefore(before.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)),
                h.lastModified() + " before " + before);
        assertFalse(h.lastModified().isAfter(Instant.now().plusSeconds(1)));
    }

    @Test
    void headObject_missingKey_is404() {
        S3Exception e = s3Error(client.headObject(b -> b.bucket(bucket).key("imagefolder/train/cat/9999.jpg")));
        assertEquals(404, e.statusCode());
    }

    @Test
    void restart_overSameFolder_keepsObjectsEtagsAndTimes(@TempDir Path dir) throws IOException {
        Map<String, String> before;
        HeadObjectResponse headBefore;
        try (EmbeddedS3 first = EmbeddedS3.start(dir); S3AsyncClient c = first.newAsyncClient()) {
            new DemoDataset(3).uploadTo(c, first.bucket());
            before = listing(c, first.bucket());
            headBefore = join(c.headObject(b -> b.bucket(first.bucket()).key(DemoDataset.bigBlobKey())));
        }
        try (EmbeddedS3 second = EmbeddedS3.start(dir); S3AsyncClient c = second.newAsyncClient()) {
            assertEquals(before, listing(c, second.bucket()));
            HeadObjectResponse headAfter = join(c.headObject(b -> b.bucket(second.bucket()).key(DemoDataset.bigBlobKey())));
            assertEquals(headBefore.eTag(), headAfter.eTag());
            assertEquals(headBefore.contentLength(), headAfter.contentLength());
            assertEquals(headBefore.lastModified(), headAfter.lastModified());
            assertEquals(0, new DemoDataset(3).uploadTo(c, second.bucket()).uploaded());
        }
    }

    @Test
    void close_releasesPortAndIsIdempotent(@TempDir Path dir) throws IOException {
        EmbeddedS3 server = EmbeddedS3.start(dir);
        int port = server.port();
        server.close();
        server.close();
        assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close());
        try (EmbeddedS3 again = EmbeddedS3.start(dir, EmbeddedS3.DEFAULT_BUCKET, port)) {
            assertEquals(port, again.port());
        }
    }

    @Test
    void start_portInUse_failsWithIOException(@TempDir Path dir) {
        IOException e = assertThrows(IOException.class, () -> EmbeddedS3.start(dir, "other-bucket", s3.port()));
        assertTrue(e.getMessage().contains(Integer.toString(s3.port())), e.getMessage());
    }

    @Test
    void start_invalidBucketName_isRejected(@TempDir Path dir) {
        assertThrows(IllegalArgumentException.class, () -> EmbeddedS3.start(dir, "Not_A_Bucket", 0));
    }

    @Test
    void wrongCredentials_areRefusedWith403() {
        try (S3AsyncClient bad = S3AsyncClient.builder()
                .endpointOverride(s3.endpoint()).forcePathStyle(true).region(s3.region())
                .credentialsProvider(() -> software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("x", "y"))
                .build()) {
            S3Exception e = s3Error(bad.listObjectsV2(b -> b.bucket(bucket)));
            assertEquals(403, e.statusCode());
        }
    }

    // ---- helpers ----

    private void assertRange(String key, byte[] content, String range, int from, int length) {
        ResponseBytes<GetObjectResponse> r = join(client.getObject(b -> b.bucket(bucket).key(key).range(range),
                AsyncResponseTransformer.toBytes()));
        assertArrayEquals(Arrays.copyOfRange(content, from, from + length), r.asByteArray(), range);
        assertEquals("bytes " + from + "-" + (from + length - 1) + "/" + content.length, r.response().contentRange(), range);
        assertEquals(length, r.response().contentLength(), range);
    }

    private static void putMany(String prefix, int n) {
        Semaphore permits = new Semaphore(16);
        List<CompletableFuture<?>> puts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String key = String.format("%sf%05d.bin", prefix, i);
            permits.acquireUninterruptibly();
            puts.add(client.putObject(b -> b.bucket(SCRATCH).key(key), AsyncRequestBody.fromString(key))
                    .whenComplete((r, e) -> permits.release()));
        }
        join(CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)));
    }

    private static Map<String, String> listing(S3AsyncClient c, String bucket) {
        Map<String, String> m = new LinkedHashMap<>();
        join(c.listObjectsV2Paginator(b -> b.bucket(bucket)).contents()
                .subscribe(o -> m.put(o.key(), o.eTag() + " " + o.size() + " " + o.lastModified())));
        return m;
    }

    private static List<String> keys(List<S3Object> objects) {
        return objects.stream().map(S3Object::key).toList();
    }

    private static List<String> prefixes(List<CommonPrefix> prefixes) {
        return prefixes.stream().map(CommonPrefix::prefix).toList();
    }

    static String quotedMd5(byte[] data) {
        try {
            return "\"" + HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data)) + "\"";
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static <T> T join(CompletableFuture<T> f) {
        try {
            return f.get(CALL.toSeconds(), TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new CompletionException(e.getCause());
        } catch (Exception e) {
            throw new AssertionError("S3 call did not complete: " + e, e);
        }
    }

    static S3Exception s3Error(CompletableFuture<?> f) {
        CompletionException e = assertThrows(CompletionException.class, () -> join(f));
        return assertInstanceOf(S3Exception.class, e.getCause(), String.valueOf(e.getCause()));
    }
}
