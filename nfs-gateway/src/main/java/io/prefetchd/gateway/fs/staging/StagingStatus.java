package io.prefetchd.gateway.fs.staging;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * What the staging area holds now, for {@code /status}, {@code /api/uploads} and {@code prefetchd uploads}.
 *
 * @param stagedBytes bytes staged (file sizes)
 * @param capacityBytes the staging budget
 * @param oldestPending how long the oldest staged file has waited for S3 to have it; zero when none waits
 * @param lastError the last upload failure ("" when none), with {@code lastErrorAt} (null when none)
 * @param pending the staged files, oldest first
 */
public record StagingStatus(long stagedBytes, long capacityBytes, Duration oldestPending, String lastError,
                            @Nullable Instant lastErrorAt, List<Pending> pending) {
    public StagingStatus {
        requireNonNull(oldestPending, "oldestPending is null");
        requireNonNull(lastError, "lastError is null");
        pending = List.copyOf(pending);
    }

    /**
     * One staged file waiting for S3.
     *
     * @param path its name in the export
     * @param size its size now
     * @param stagedAt when it was staged (or the gateway restarted with it)
     * @param uploading whether an upload of it is running
     * @param failures uploads of it that failed in a row
     * @param lastError the last failure's message, "" when none
     */
    public record Pending(String path, long size, Instant stagedAt, boolean uploading, int failures,
                          String lastError) {
        public Pending {
            requireNonNull(path, "path is null");
            requireNonNull(stagedAt, "stagedAt is null");
            requireNonNull(lastError, "lastError is null");
        }
    }
}
