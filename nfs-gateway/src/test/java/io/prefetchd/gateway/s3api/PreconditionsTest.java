package io.prefetchd.gateway.s3api;

import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.FileType;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PreconditionsTest {
    private static final Instant MODIFIED = Instant.parse("2026-01-02T03:04:05.678Z");
    private static final FileAttributes OBJECT = new FileAttributes(FileType.REGULAR, 10, 1, 1, MODIFIED, "abc");

    private static int status(String ifMatch, Instant ifUnmodifiedSince, String ifNoneMatch, Instant ifModifiedSince) {
        try {
            Preconditions.check(OBJECT, ifMatch, ifUnmodifiedSince, ifNoneMatch, ifModifiedSince);
            return 200;
        } catch (S3Exception e) {
            return e.statusCode();
        }
    }

    @Test
    void etagLists_quotesWeakAndStar() {
        assertTrue(Preconditions.matches("\"x\", \"abc\"", "abc"));
        assertTrue(Preconditions.matches("W/\"abc\"", "abc"));
        assertTrue(Preconditions.matches("*", "abc"));
        assertFalse(Preconditions.matches("\"abcd\"", "abc"));
    }

    @Test
    void ifMatch_412WhenOther_andWinsOverIfUnmodifiedSince() {
        assertEquals(412, status("\"zzz\"", null, null, null));
        assertEquals(200, status("\"abc\"", MODIFIED.minusSeconds(3600), null, null));
        assertEquals(412, status(null, MODIFIED.minusSeconds(3600), null, null));
        assertEquals(200, status(null, Instant.parse("2026-01-02T03:04:05Z"), null, null), "second resolution");
    }

    @Test
    void ifNoneMatch_304WhenSame_andWinsOverIfModifiedSince() {
        assertEquals(304, status(null, null, "\"abc\"", null));
        assertEquals(200, status(null, null, "\"zzz\"", MODIFIED.plusSeconds(3600)));
        assertEquals(304, status(null, null, null, MODIFIED.plusSeconds(3600)));
        assertEquals(304, status(null, null, null, Instant.parse("2026-01-02T03:04:05Z")), "not modified since");
        assertEquals(200, status(null, null, null, MODIFIED.minusSeconds(1)));
    }

    @Test
    void noConditions_pass() {
        assertDoesNotThrow(() -> Preconditions.check(OBJECT, null, null, null, null));
        assertThrows(S3Exception.class, () -> Preconditions.check(OBJECT, "\"q\"", null, null, null));
    }
}
