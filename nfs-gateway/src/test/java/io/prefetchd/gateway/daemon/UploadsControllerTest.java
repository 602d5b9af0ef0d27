package io.prefetchd.gateway.daemon;

import io.prefetchd.gateway.fs.staging.StagingStatus;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The listing {@code prefetchd uploads} prints. */
class UploadsControllerTest {
    private static final Instant NOW = Instant.parse("2026-01-01T00:10:00Z");

    @Test
    void table_listsEachPendingFileWithAgeSizeStateAndLastError() {
        StagingStatus s = new StagingStatus(3 << 20, 10L << 30, Duration.ofSeconds(600), "/a: 503", NOW,
                List.of(new StagingStatus.Pending("models/a.pt", 1 << 20, NOW.minusSeconds(600), false, 2, "503"),
                        new StagingStatus.Pending("models/b.pt", 2 << 20, NOW.minusSeconds(5), true, 0, "")));

        String t = UploadsController.table(s, NOW);

        assertTrue(t.startsWith("3.0 MiB staged of 10.0 GiB, 2 pending; last upload error: /a: 503\n"), t);
        assertTrue(t.contains("    600s     1.0 MiB  retrying(2)   /models/a.pt\n          last error: 503\n"), t);
        assertTrue(t.contains("      5s     2.0 MiB  uploading     /models/b.pt\n"), t);
    }

    @Test
    void table_withNothingPending_saysSo() {
        StagingStatus s = new StagingStatus(0, 1 << 30, Duration.ZERO, "", null, List.of());

        assertEquals("0 B staged of 1.0 GiB, 0 pending\nnothing waits for S3\n", UploadsController.table(s, NOW));
    }
}
