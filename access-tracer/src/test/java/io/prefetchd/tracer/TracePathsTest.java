package io.prefetchd.tracer;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TracePathsTest {
    @Test
    void safeNames_areKept() {
        for (String s : List.of("imagenet", "job-42", "run_2026.01.01", "A", "_x")) {
            assertEquals(s, TracePaths.safeName(s));
        }
    }

    @Test
    void unsafeNames_becomeOneSafeSegmentWithAHash() {
        for (String s : List.of("", ".", "..", "../etc", "a/b", "a\\b", ".hidden", "s3://bucket/x", "naïve", "a b",
                "x".repeat(101))) {
            String safe = TracePaths.safeName(s);
            assertTrue(safe.matches("[A-Za-z0-9._-]*~[0-9a-f]{12}"), s + " -> " + safe);
            assertTrue(!safe.startsWith("."), safe);
            assertTrue(safe.length() <= 93, safe);
        }
        assertEquals("a_b~" + TracePaths.safeName("a/b").substring(4), TracePaths.safeName("a/b"));
    }

    @Test
    void differentNames_neverShareAFolder() {
        assertNotEquals(TracePaths.safeName("a/b"), TracePaths.safeName("a_b"));
        assertNotEquals(TracePaths.safeName("a/b"), TracePaths.safeName("a\\b"));
        assertNotEquals(TracePaths.safeName("x".repeat(200)), TracePaths.safeName("x".repeat(201)));
    }

    @Test
    void fileNames_roundTrip() {
        assertEquals("epoch-0.arrow", TracePaths.fileName(0, 1));
        assertEquals("epoch-12.part3.arrow", TracePaths.fileName(12, 3));
        assertArrayEquals(new int[] {12, 3}, TracePaths.parse("epoch-12.part3.arrow"));
        assertArrayEquals(new int[] {7, 1}, TracePaths.parse("epoch-7.arrow"));
        assertNull(TracePaths.parse("epoch-7.arrow.tmp"));
        assertNull(TracePaths.parse("epoch-x.arrow"));
    }
}
