package io.prefetchd.gateway.s3api;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.io.ByteArrayInputStream;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an S3 client sees of a bucket, written once and run against every S3 endpoint we serve or compare with:
 * S3Proxy over files (the emulated backend) and the gateway's endpoint. AWS SDK v2 for Java, path style, SigV4 in
 * headers and presigned. Reads run first, over {@link #OBJECTS}; writes after them, each under keys of its own in
 * {@code written/}, so that the listings the reads check stay as they were.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class S3EndpointContract {
    /** Writes run after every read. */
    static final int WRITES = Order.DEFAULT + 1;
    static final String BUCKET = "contract-data";
    static final String ACCESS_KEY = "contract-access";
    static final String SECRET_KEY = "contract-secret";
    /** The bucket's objects: a few shards larger than one part of a GET, small files, an empty one, deep paths. */
    static final Map<String, byte[]> OBJECTS = objects();

    private S3Client s3;

    private static Map<String, byte[]> objects() {
        Random r = new Random(7);
        Map<String, byte[]> m = new TreeMap<>();
        for (int i = 0; i < 3; i++) {
            byte[] b = new byte[(3 << 20) + 1000 * i + 17];
            r.nextBytes(b);
            m.put("train/shard-00" + i + ".tar", b);
        }
        for (String k : List.of("train/labels.csv", "val/a.bin", "val/b.bin", "readme.txt", "deep/x/y/z.bin",
                "deep/x/w.bin", "a-b.txt", "a.txt")) {
            byte[] b = new byte[100 + r.nextInt(5000)];
            r.nextBytes(b);
            m.put(k, b);
        }
        m.put("empty.bin", new byte[0]);
        return m;
    }

    /** Starts the endpoint serving {@link #OBJECTS} in {@link #BUCKET} with the test's keys; returns its URI. */
    abstract URI start() throws Exception;

    abstract void stop() throws Exception;

    @BeforeAll
    void startEndpoint() throws Exception {
        s3 = client(start(), SECRET_KEY);
    }

    @AfterAll
    void stopEndpoint() throws Exception {
        if (s3 != null) {
            s3.close();
        }
        stop();
    }

    static S3Client client(URI endpoint, String secret) {
        return S3Client.builder().endpointOverride(endpoint).forcePathStyle(true).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, secret)))
                .build();
    }

    S3Client s3() {
        return s3;
    }

    byte[] get(String key, String range) {
        return s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key).range(range)).asByteArray();
    }

    static List<String> keys(List<S3Object> objects) {
        return objects.stream().map(S3Object::key).toList();
    }

    @Test
    void listV2_delimiter_filesAndFoldersAtTheRoot() {
        ListObjectsV2Response r = s3.listObjectsV2(b -> b.bucket(BUCKET).delimiter("/"));
        assertEquals(List.of("a-b.txt", "a.txt", "empty.bin", "readme.txt"), keys(r.contents()));
        assertEquals(List.of("deep/", "train/", "val/"), r.commonPrefixes().stream().map(CommonPrefix::prefix).toList());
        assertFalse(r.isTruncated());
        S3Object shard = s3.listObjectsV2(b -> b.bucket(BUCKET).prefix("train/shard-001")).contents().get(0);
        assertEquals(OBJECTS.get("train/shard-001.tar").length, shard.size());
        assertEquals(s3.headObject(b -> b.bucket(BUCKET).key("train/shard-001.tar")).eTag(), shard.eTag());
    }

    @Test
    void listV2_pagesOfTwo_everyKeyOnceInOrder() {
        List<String> all = new ArrayList<>();
        String token = null;
        int pages = 0;
        do {
            String t = token;
            ListObjectsV2Response r = s3.listObjectsV2(b -> b.bucket(BUCKET).maxKeys(2).continuationToken(t));
            assertTrue(r.contents().size() <= 2);
            all.addAll(keys(r.contents()));
            token = r.isTruncated() ? r.nextContinuationToken() : null;
            pages++;
        } while (token != null);
        assertEquals(new ArrayList<>(OBJECTS.keySet()), all);
        assertEquals((OBJECTS.size() + 1) / 2, pages);
    }

    @Test
    void listV2_prefixAndStartAfter() {
        assertEquals(List.of("train/shard-001.tar", "train/shard-002.tar"), keys(s3.listObjectsV2(b -> b.bucket(BUCKET)
                .prefix("train/shard").startAfter("train/shard-000.tar")).contents()));
        assertEquals(List.of("deep/x/w.bin", "deep/x/y/z.bin"),
                keys(s3.listObjectsV2(b -> b.bucket(BUCKET).prefix("deep/")).contents()));
        ListObjectsV2Response r = s3.listObjectsV2(b -> b.bucket(BUCKET).prefix("deep/x/").delimiter("/"));
        assertEquals(List.of("deep/x/w.bin"), keys(r.contents()));
        assertEquals(List.of("deep/x/y/"), r.commonPrefixes().stream().map(CommonPrefix::prefix).toList());
        assertEquals(0, s3.listObjectsV2(b -> b.bucket(BUCKET).prefix("nothing/")).keyCount());
    }

    @Test
    void listV1_markerPaging_everyKeyOnce() {
        List<String> all = new ArrayList<>();
        String marker = null;
        do {
            String m = marker;
            ListObjectsResponse r = s3.listObjects(b -> b.bucket(BUCKET).maxKeys(3).marker(m));
            all.addAll(keys(r.contents()));
            marker = r.isTruncated() ? (r.nextMarker() != null ? r.nextMarker()
                    : r.contents().get(r.contents().size() - 1).key()) : null;
        } while (marker != null);
        assertEquals(new ArrayList<>(OBJECTS.keySet()), all);
    }

    @Test
    void get_wholeObjects_byteExact() {
        for (Map.Entry<String, byte[]> e : OBJECTS.entrySet()) {
            ResponseBytes<GetObjectResponse> r = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(e.getKey()));
            assertArrayEquals(e.getValue(), r.asByteArray(), e.getKey());
            assertEquals(e.getValue().length, r.response().contentLength(), e.getKey());
        }
    }

    @Test
    void get_ranges_byteExactAgainstTheSource() {
        byte[] src = OBJECTS.get("train/shard-002.tar");
        int n = src.length;
        Map<String, byte[]> expected = new LinkedHashMap<>();
        expected.put("bytes=0-0", Arrays.copyOfRange(src, 0, 1));
        expected.put("bytes=1000-1999", Arrays.copyOfRange(src, 1000, 2000));
        expected.put("bytes=1048000-2097999", Arrays.copyOfRange(src, 1048000, 2098000));   // across parts
        expected.put("bytes=" + (n - 10) + "-", Arrays.copyOfRange(src, n - 10, n));
        expected.put("bytes=-4096", Arrays.copyOfRange(src, n - 4096, n));
        expected.put("bytes=" + (n - 5) + "-" + (n + 100), Arrays.copyOfRange(src, n - 5, n));   // clipped
        Random r = new Random(11);
        for (int i = 0; i < 8; i++) {
            int a = r.nextInt(n);
            int len = 1 + r.nextInt(300_000);
            int b = Math.min(n - 1, a + len - 1);
            expected.put("bytes=" + a + "-" + b, Arrays.copyOfRange(src, a, b + 1));
        }
        for (Map.Entry<String, byte[]> e : expected.entrySet()) {
            ResponseBytes<GetObjectResponse> got = s3.getObjectAsBytes(b -> b.bucket(BUCKET)
                    .key("train/shard-002.tar").range(e.getKey()));
            assertArrayEquals(e.getValue(), got.asByteArray(), e.getKey());
            assertTrue(got.response().contentRange().endsWith("/" + n), got.response().contentRange());
        }
    }

    @Test
    void get_rangeAtTheEnd_invalidRange416() {
        int n = OBJECTS.get("val/a.bin").length;
        S3Exception e = assertThrows(S3Exception.class, () -> get("val/a.bin", "bytes=" + n + "-"));
        assertEquals(416, e.statusCode());
        assertEquals("InvalidRange", e.awsErrorDetails().errorCode());
    }

    @Test
    void head_sizeEtagAndLastModified() {
        HeadObjectResponse h = s3.headObject(b -> b.bucket(BUCKET).key("val/b.bin"));
        assertEquals(OBJECTS.get("val/b.bin").length, h.contentLength());
        assertTrue(h.eTag().startsWith("\"") && h.eTag().endsWith("\""), h.eTag());
        assertTrue(h.lastModified().isBefore(Instant.now().plusSeconds(60)));
    }

    @Test
    void get_conditional_notModifiedAndPreconditionFailed() {
        String etag = s3.headObject(b -> b.bucket(BUCKET).key("readme.txt")).eTag();
        S3Exception notModified = assertThrows(S3Exception.class,
                () -> s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("readme.txt").ifNoneMatch(etag)));
        assertEquals(304, notModified.statusCode());
        S3Exception failed = assertThrows(S3Exception.class,
                () -> s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("readme.txt").ifMatch("\"0123\"")));
        assertEquals(412, failed.statusCode());
        assertEquals("PreconditionFailed", failed.awsErrorDetails().errorCode());
        S3Exception notModifiedSince = assertThrows(S3Exception.class, () -> s3.getObjectAsBytes(b -> b.bucket(BUCKET)
                .key("readme.txt").ifModifiedSince(Instant.now().plus(Duration.ofDays(1)))));
        assertEquals(304, notModifiedSince.statusCode());
        assertArrayEquals(OBJECTS.get("readme.txt"), s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("readme.txt")
                .ifMatch(etag).ifModifiedSince(Instant.now().minus(Duration.ofDays(3650)))).asByteArray());
    }

    @Test
    void missingKeyAndBucket_noSuchKeyNoSuchBucket() {
        S3Exception key = assertThrows(S3Exception.class, () -> get("train/nope.tar", null));
        assertEquals(404, key.statusCode());
        assertEquals("NoSuchKey", key.awsErrorDetails().errorCode());
        S3Exception bucket = assertThrows(S3Exception.class,
                () -> s3.getObjectAsBytes(b -> b.bucket("no-such-bucket").key("readme.txt")));
        assertEquals(404, bucket.statusCode());
        assertEquals("NoSuchBucket", bucket.awsErrorDetails().errorCode());
        S3Exception list = assertThrows(S3Exception.class, () -> s3.listObjectsV2(b -> b.bucket("no-such-bucket")));
        assertEquals("NoSuchBucket", list.awsErrorDetails().errorCode());
    }

    @Test
    void badSignature_forbiddenSignatureDoesNotMatch() {
        try (S3Client wrong = client(s3.serviceClientConfiguration().endpointOverride().orElseThrow(), "wrong")) {
            S3Exception e = assertThrows(S3Exception.class, () -> wrong.getObjectAsBytes(b -> b.bucket(BUCKET)
                    .key("readme.txt")));
            assertEquals(403, e.statusCode());
            assertEquals("SignatureDoesNotMatch", e.awsErrorDetails().errorCode());
        }
    }

    @Test
    void bucketOperations_headBucketLocationAndListBuckets() {
        s3.headBucket(b -> b.bucket(BUCKET));
        s3.getBucketLocation(b -> b.bucket(BUCKET));
        assertTrue(s3.listBuckets().buckets().stream().anyMatch(b -> b.name().equals(BUCKET)));
        S3Exception e = assertThrows(S3Exception.class, () -> s3.headBucket(b -> b.bucket("no-such-bucket")));
        assertEquals(404, e.statusCode());
    }

    @Test
    void presignedGet_servesTheObject_andATamperedOneIsRefused() throws Exception {
        URI endpoint = s3.serviceClientConfiguration().endpointOverride().orElseThrow();
        try (S3Presigner presigner = S3Presigner.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY))).build()) {
            URI url = presigner.presignGetObject(p -> p.signatureDuration(Duration.ofMinutes(5))
                    .getObjectRequest(g -> g.bucket(BUCKET).key("val/a.bin"))).url().toURI();
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<byte[]> ok = http.send(HttpRequest.newBuilder(url).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, ok.statusCode());
            assertArrayEquals(OBJECTS.get("val/a.bin"), ok.body());
            URI tampered = URI.create(url.toString().replace("val/a.bin", "val/b.bin"));
            HttpResponse<String> refused = http.send(HttpRequest.newBuilder(tampered).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(403, refused.statusCode());
            assertTrue(refused.body().contains("SignatureDoesNotMatch"), refused.body());
        }
    }

    // ---- writes

    static byte[] random(int seed, int size) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    static String md5Hex(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b));
    }

    PutObjectResponse put(String key, byte[] b) {
        return s3.putObject(p -> p.bucket(BUCKET).key(key), RequestBody.fromBytes(b));
    }

    @Test
    @Order(WRITES)
    void put_answersTheMd5AsETag_thenGetHeadAndListShowIt() throws Exception {
        byte[] b = random(1, 300_000);
        PutObjectResponse r = put("written/put/a.bin", b);
        assertEquals("\"" + md5Hex(b) + "\"", r.eTag());
        assertArrayEquals(b, get("written/put/a.bin", null));
        HeadObjectResponse h = s3.headObject(h1 -> h1.bucket(BUCKET).key("written/put/a.bin"));
        assertEquals(b.length, h.contentLength());
        assertEquals(r.eTag(), h.eTag());
        ListObjectsV2Response l = s3.listObjectsV2(l1 -> l1.bucket(BUCKET).prefix("written/put/"));
        assertEquals(List.of("written/put/a.bin"), keys(l.contents()));
        assertEquals(r.eTag(), l.contents().get(0).eTag());
        ListObjectsV2Response top = s3.listObjectsV2(l1 -> l1.bucket(BUCKET).prefix("written/").delimiter("/"));
        assertTrue(top.commonPrefixes().stream().anyMatch(p -> p.prefix().equals("written/put/")), top.toString());
    }

    @Test
    @Order(WRITES)
    void put_again_replacesTheObject_andAnEmptyOneIsEmpty() {
        put("written/again.bin", random(2, 5000));
        byte[] second = random(3, 777);
        put("written/again.bin", second);
        assertArrayEquals(second, get("written/again.bin", null));
        put("written/empty.bin", new byte[0]);
        assertEquals(0, s3.headObject(h -> h.bucket(BUCKET).key("written/empty.bin")).contentLength());
    }

    @Test
    @Order(WRITES)
    void put_streamedBodyOfKnownLength_byteExact() {
        byte[] b = random(4, 1_500_000);
        s3.putObject(p -> p.bucket(BUCKET).key("written/streamed.bin"),
                RequestBody.fromInputStream(new ByteArrayInputStream(b), b.length));
        assertArrayEquals(b, get("written/streamed.bin", null));
    }

    @Test
    @Order(WRITES)
    void put_wrongContentMd5_badDigest_nothingStored() throws Exception {
        byte[] b = random(5, 1000);
        String wrong = Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(new byte[1]));
        S3Exception e = assertThrows(S3Exception.class, () -> s3.putObject(p -> p.bucket(BUCKET)
                .key("written/bad-md5.bin").contentMD5(wrong), RequestBody.fromBytes(b)));
        assertEquals(400, e.statusCode());
        assertEquals("BadDigest", e.awsErrorDetails().errorCode());
        S3Exception missing = assertThrows(S3Exception.class, () -> get("written/bad-md5.bin", null));
        assertEquals("NoSuchKey", missing.awsErrorDetails().errorCode());
    }

    @Test
    @Order(WRITES)
    void multipartUpload_partsListedWithTheirMd5_completedObjectIsThePartsInOrder() throws Exception {
        String key = "written/multi/big.bin";
        byte[] p1 = random(6, 5 << 20);
        byte[] p2 = random(7, 1 << 20);
        String id = s3.createMultipartUpload(c -> c.bucket(BUCKET).key(key)).uploadId();
        assertTrue(s3.listMultipartUploads(l -> l.bucket(BUCKET)).uploads().stream()
                .anyMatch(u -> u.uploadId().equals(id) && u.key().equals(key)));
        String e2 = s3.uploadPart(u -> u.bucket(BUCKET).key(key).uploadId(id).partNumber(2),
                RequestBody.fromBytes(new byte[5 << 20])).eTag();   // replaced below
        String e1 = s3.uploadPart(u -> u.bucket(BUCKET).key(key).uploadId(id).partNumber(1),
                RequestBody.fromBytes(p1)).eTag();
        e2 = s3.uploadPart(u -> u.bucket(BUCKET).key(key).uploadId(id).partNumber(2),
                RequestBody.fromBytes(p2 /* a small last part is allowed */)).eTag();
        assertEquals("\"" + md5Hex(p1) + "\"", e1);
        assertEquals("\"" + md5Hex(p2) + "\"", e2);
        List<Part> parts = s3.listParts(l -> l.bucket(BUCKET).key(key).uploadId(id)).parts();
        assertEquals(List.of(1, 2), parts.stream().map(Part::partNumber).toList());
        assertEquals(List.of((long) p1.length, (long) p2.length), parts.stream().map(Part::size).toList());
        String f1 = e1;
        String f2 = e2;
        s3.completeMultipartUpload(c -> c.bucket(BUCKET).key(key).uploadId(id).multipartUpload(m -> m.parts(
                CompletedPart.builder().partNumber(1).eTag(f1).build(),
                CompletedPart.builder().partNumber(2).eTag(f2).build())));
        byte[] whole = new byte[p1.length + p2.length];
        System.arraycopy(p1, 0, whole, 0, p1.length);
        System.arraycopy(p2, 0, whole, p1.length, p2.length);
        assertArrayEquals(whole, get(key, null));
        assertFalse(s3.listMultipartUploads(l -> l.bucket(BUCKET)).uploads().stream()
                .anyMatch(u -> u.uploadId().equals(id)), "completed uploads are not listed");
    }

    @Test
    @Order(WRITES)
    void multipartUpload_aborted_isGone_andStoresNothing() {
        String key = "written/aborted.bin";
        String id = s3.createMultipartUpload(c -> c.bucket(BUCKET).key(key)).uploadId();
        s3.uploadPart(u -> u.bucket(BUCKET).key(key).uploadId(id).partNumber(1), RequestBody.fromBytes(random(9, 100)));
        s3.abortMultipartUpload(a -> a.bucket(BUCKET).key(key).uploadId(id));
        assertFalse(s3.listMultipartUploads(l -> l.bucket(BUCKET)).uploads().stream()
                .anyMatch(u -> u.uploadId().equals(id)));
        S3Exception missing = assertThrows(S3Exception.class, () -> get(key, null));
        assertEquals("NoSuchKey", missing.awsErrorDetails().errorCode());
    }

    @Test
    @Order(WRITES)
    void delete_removesTheObject_andAMissingKeySucceeds() {
        put("written/del/x.bin", random(10, 10));
        put("written/del/keep.bin", random(11, 10));
        s3.deleteObject(d -> d.bucket(BUCKET).key("written/del/x.bin"));
        S3Exception e = assertThrows(S3Exception.class, () -> get("written/del/x.bin", null));
        assertEquals("NoSuchKey", e.awsErrorDetails().errorCode());
        s3.deleteObject(d -> d.bucket(BUCKET).key("written/del/never-there.bin"));
        assertEquals(List.of("written/del/keep.bin"),
                keys(s3.listObjectsV2(l -> l.bucket(BUCKET).prefix("written/del/")).contents()));
    }

    @Test
    @Order(WRITES)
    void deleteObjects_deletesEachKey_missingOnesToo() {
        put("written/batch/a.bin", random(12, 10));
        put("written/batch/b.bin", random(13, 10));
        put("written/batch/c.bin", random(14, 10));
        DeleteObjectsResponse r = s3.deleteObjects(d -> d.bucket(BUCKET).delete(Delete.builder().objects(
                ObjectIdentifier.builder().key("written/batch/a.bin").build(),
                ObjectIdentifier.builder().key("written/batch/b.bin").build(),
                ObjectIdentifier.builder().key("written/batch/missing.bin").build()).build()));
        assertEquals(List.of(), r.errors());
        assertEquals(3, r.deleted().size());
        assertEquals(List.of("written/batch/c.bin"),
                keys(s3.listObjectsV2(l -> l.bucket(BUCKET).prefix("written/batch/")).contents()));
    }

    @Test
    @Order(WRITES)
    void copy_makesTheSameBytesUnderTheNewKey_sourceStays() throws Exception {
        byte[] src = OBJECTS.get("train/shard-000.tar");
        String etag = s3.copyObject(c -> c.sourceBucket(BUCKET).sourceKey("train/shard-000.tar")
                .destinationBucket(BUCKET).destinationKey("written/copy/shard.tar")).copyObjectResult().eTag();
        assertArrayEquals(src, get("written/copy/shard.tar", null));
        assertArrayEquals(src, get("train/shard-000.tar", null));
        assertEquals(s3.headObject(h -> h.bucket(BUCKET).key("written/copy/shard.tar")).eTag(), etag);
        S3Exception failed = assertThrows(S3Exception.class, () -> s3.copyObject(c -> c.sourceBucket(BUCKET)
                .sourceKey("readme.txt").copySourceIfMatch("\"0123\"").destinationBucket(BUCKET)
                .destinationKey("written/copy/never.txt")));
        assertEquals(412, failed.statusCode());
        S3Exception missing = assertThrows(S3Exception.class, () -> s3.copyObject(c -> c.sourceBucket(BUCKET)
                .sourceKey("no/such.bin").destinationBucket(BUCKET).destinationKey("written/copy/never.bin")));
        assertEquals("NoSuchKey", missing.awsErrorDetails().errorCode());
    }
}
