package io.prefetchd.benchmarks.harness;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.S3AsyncClient;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The emulator's request counters, through S3Proxy in this JVM and the AWS SDK over HTTP: each kind of request a
 * contender can make is counted once, as its kind. Unshaped (no latency), so nothing here waits.
 */
class S3EmulatorTest {
    private static final String BUCKET = "bench";

    private S3Emulator s3;
    private S3AsyncClient client;

    @BeforeEach
    void start(@TempDir Path dir) throws Exception {
        s3 = S3Emulator.start(dir, BUCKET, S3Profile.unshaped());
        client = s3.newClient(4);
        client.putObject(b -> b.bucket(BUCKET).key("d/a.jpg"), AsyncRequestBody.fromBytes(new byte[1000])).join();
        client.putObject(b -> b.bucket(BUCKET).key("d/b.jpg"), AsyncRequestBody.fromBytes(new byte[2000])).join();
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        s3.close();
    }

    @Test
    void counters_headObjectAndHeadBucket_countAsHeads() {
        S3Emulator.Counters before = s3.counters();
        client.headObject(b -> b.bucket(BUCKET).key("d/a.jpg")).join();
        client.headObject(b -> b.bucket(BUCKET).key("d/b.jpg")).join();
        client.headBucket(b -> b.bucket(BUCKET)).join();
        assertEquals(new S3Emulator.Counters(0, 0, 3, 0), s3.counters().minus(before));
    }

    @Test
    void counters_listObjectsV2AndV1_countAsLists() {
        S3Emulator.Counters before = s3.counters();
        assertEquals(2, client.listObjectsV2(b -> b.bucket(BUCKET).prefix("d/")).join().contents().size());
        assertEquals(2, client.listObjects(b -> b.bucket(BUCKET).prefix("d/")).join().contents().size());
        assertEquals(1, client.listObjectsV2(b -> b.bucket(BUCKET).prefix("d/").delimiter("/").maxKeys(1)).join()
                .contents().size());
        assertEquals(new S3Emulator.Counters(0, 0, 0, 3), s3.counters().minus(before));
    }

    @Test
    void counters_rangedGet_countsOneGetAndTheBodyBytesSent() {
        S3Emulator.Counters before = s3.counters();
        byte[] got = client.getObject(b -> b.bucket(BUCKET).key("d/b.jpg").range("bytes=100-599"),
                AsyncResponseTransformer.toBytes()).join().asByteArray();
        assertEquals(500, got.length);
        assertEquals(new S3Emulator.Counters(1, 500, 0, 0), s3.counters().minus(before));
    }

    @Test
    void uploads_putAndMultipartParts_countedWithTheirBodyBytes() {
        long[] before = s3.uploads();
        client.putObject(b -> b.bucket(BUCKET).key("u/one"), AsyncRequestBody.fromBytes(new byte[3000])).join();
        String id = client.createMultipartUpload(b -> b.bucket(BUCKET).key("u/two")).join().uploadId();
        client.uploadPart(b -> b.bucket(BUCKET).key("u/two").uploadId(id).partNumber(1),
                AsyncRequestBody.fromBytes(new byte[7000])).join();
        client.abortMultipartUpload(b -> b.bucket(BUCKET).key("u/two").uploadId(id)).join();
        long[] after = s3.uploads();
        assertEquals(2, after[0] - before[0], "one PutObject, one UploadPart");
        assertEquals(10_000, after[1] - before[1]);
    }

    @Test
    void counters_getByPartNumber_isOneGetAndNoHead() {
        // S3Proxy looks the object up inside this GET; that look-up is not a HEAD request
        S3Emulator.Counters before = s3.counters();
        client.getObject(b -> b.bucket(BUCKET).key("d/a.jpg").partNumber(1), AsyncResponseTransformer.toBytes())
                .join();
        S3Emulator.Counters d = s3.counters().minus(before);
        assertEquals(1, d.gets());
        assertEquals(0, d.heads());
    }

    @Test
    void measureGetRate_countsItsGetsThroughTheStore_andKeepsTheShapingAsFound() {
        long size = 64 * 1024;
        client.putObject(b -> b.bucket(BUCKET).key("rate"), AsyncRequestBody.fromBytes(new byte[(int) size])).join();
        S3Emulator.Counters before = s3.counters();
        S3Emulator.GetRate r = s3.measureGetRate("rate", size, 4096);
        S3Emulator.Counters d = s3.counters().minus(before);
        assertTrue(d.gets() >= S3Emulator.RATE_WARM_UP_GETS + r.requests(), "warm-up, then the windows counted: "
                + d + ", " + r);
        assertEquals(4096 * d.gets(), d.getBytes(), "each GET of the check is one ranged GET of 4 KiB");
        assertTrue(r.requests() > 0 && r.seconds() >= S3Emulator.RATE_MIN_WINDOWS * 0.999, r.toString());
        assertTrue(r.perSecond() >= r.requests() / r.seconds(), "the best window is at least the mean: " + r);
        assertEquals(S3Emulator.RATE_IN_FLIGHT, r.inFlight(), "no latency: the concurrency is never the limit");
        assertTrue(Double.isInfinite(r.latencyCeiling()) && Double.isInfinite(r.bandwidthCeiling()), r.toString());
        assertFalse(s3.shapingOn(), "shaping was off before the check");
    }
}
