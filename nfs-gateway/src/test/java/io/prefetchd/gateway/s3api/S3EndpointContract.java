package io.prefetchd.gateway.s3api;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
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
 * What an S3 client sees of a read-only bucket, written once and run against every S3 endpoint we serve or
 * compare with: S3Proxy over files (the emulated backend) and the gateway's endpoint. AWS SDK v2 for Java, path
 * style, SigV4 in headers and presigned.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class S3EndpointContract {
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
}
