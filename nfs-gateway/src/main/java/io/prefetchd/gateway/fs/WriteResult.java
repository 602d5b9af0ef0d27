package io.prefetchd.gateway.fs;

/**
 * The answer to a WRITE: how many bytes were taken and whether they are already on stable storage (the staging
 * disk, forced) or still need a COMMIT.
 */
public record WriteResult(int count, boolean durable) {
    public WriteResult {
        if (count < 0) {
            throw new IllegalArgumentException("count must be at least 0");
        }
    }
}
