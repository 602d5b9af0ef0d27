package io.prefetchd.gateway.s3api;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.S3Exception;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ByteRangeTest {
    @Test
    void closedRange_clippedToTheEnd() {
        assertEquals(new ByteRange(10, 11, true), ByteRange.of("bytes=10-20", 100));
        assertEquals(new ByteRange(90, 10, true), ByteRange.of("bytes=90-1000", 100));
        assertEquals("bytes 90-99/100", ByteRange.of("bytes=90-1000", 100).contentRange(100));
    }

    @Test
    void openAndSuffixRanges() {
        assertEquals(new ByteRange(40, 60, true), ByteRange.of("bytes=40-", 100));
        assertEquals(new ByteRange(70, 30, true), ByteRange.of("bytes=-30", 100));
        assertEquals(new ByteRange(0, 100, true), ByteRange.of("bytes=-500", 100), "a longer suffix is everything");
    }

    @Test
    void unsatisfiable_invalidRange() {
        for (String h : new String[] {"bytes=100-", "bytes=100-200", "bytes=-0"}) {
            S3Exception e = assertThrows(S3Exception.class, () -> ByteRange.of(h, 100), h);
            assertEquals(416, e.statusCode());
            assertEquals("InvalidRange", e.awsErrorDetails().errorCode());
        }
        assertThrows(S3Exception.class, () -> ByteRange.of("bytes=0-", 0), "nothing to serve of an empty object");
    }

    @Test
    void malformed_ignored() {
        for (String h : new String[] {"items=0-1", "bytes=5-1", "bytes=a-b", "bytes=1-2,4-5", "bytes=-",
                "bytes=99999999999999999999-"}) {
            assertEquals(ByteRange.whole(100), ByteRange.of(h, 100), h);
        }
        assertEquals(ByteRange.whole(100), ByteRange.of(null, 100));
    }
}
