package io.prefetchd.gateway.fs.staging;

import java.nio.file.Path;
import java.time.Duration;

import static java.util.Objects.requireNonNull;

/**
 * How the staging area of written files behaves (docs/CONFIGURATION.md, {@code prefetchd.write.*}).
 *
 * @param dir the staging folder (staged files and the journal), on local disk
 * @param capacityBytes staged bytes at most (file sizes, holes included); a write beyond answers NOSPC
 * @param uploadDelay how long a closed file waits before its upload starts, so that the common "write a temporary
 *     file, close it, rename it into place" is renamed in staging instead of copied in S3
 * @param commitQuiet a file held open is uploaded once it was committed and then not written for this long
 * @param maxRenameKeys a directory with more keys under it than this is not renamed (XDEV: {@code mv}
 *     copies instead); each key costs a server-side copy and a delete
 * @param uploadConcurrency files uploaded at once (each upload parallelizes its own parts)
 * @param minBackoff the wait after a failed upload's first attempt; doubled after each failure
 * @param maxBackoff the longest wait between two attempts; a file is retried forever
 * @param streamingPartSize part size of the multipart uploads that run while a large file is written (its parts
 *     go up as the writer moves past them); 0 uploads every file only after it is closed
 * @param directIo whole aligned blocks of staged files are written, and read for their upload, around the page cache
 *     (O_DIRECT) where the staging folder's file system allows it ({@link StagedBytes})
 */
public record StagingSettings(Path dir, long capacityBytes, Duration uploadDelay, Duration commitQuiet,
                              int maxRenameKeys, int uploadConcurrency, Duration minBackoff, Duration maxBackoff,
                              long streamingPartSize, boolean directIo) {
    public static final Duration DEFAULT_UPLOAD_DELAY = Duration.ofSeconds(1);
    public static final Duration DEFAULT_COMMIT_QUIET = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_RENAME_KEYS = 10_000;
    public static final int DEFAULT_UPLOAD_CONCURRENCY = 4;
    public static final long DEFAULT_STREAMING_PART_SIZE = 16L << 20;

    public StagingSettings {
        requireNonNull(dir, "dir is null");
        requireNonNull(uploadDelay, "uploadDelay is null");
        requireNonNull(commitQuiet, "commitQuiet is null");
        requireNonNull(minBackoff, "minBackoff is null");
        requireNonNull(maxBackoff, "maxBackoff is null");
        if (capacityBytes <= 0) {
            throw new IllegalArgumentException("staging size must be positive, not " + capacityBytes);
        }
        if (uploadDelay.isNegative() || commitQuiet.isNegative()) {
            throw new IllegalArgumentException("upload delays must not be negative");
        }
        if (maxRenameKeys < 1 || uploadConcurrency < 1) {
            throw new IllegalArgumentException("maxRenameKeys and uploadConcurrency must be at least 1");
        }
        if (minBackoff.isNegative() || minBackoff.isZero() || maxBackoff.compareTo(minBackoff) < 0) {
            throw new IllegalArgumentException("backoff must be positive, max at least min");
        }
        if (streamingPartSize < 0 || streamingPartSize > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("streaming part size must be in [0, 2 GiB): " + streamingPartSize);
        }
    }

    /** The settings with direct I/O where the file system allows it. */
    public StagingSettings(Path dir, long capacityBytes, Duration uploadDelay, Duration commitQuiet,
                           int maxRenameKeys, int uploadConcurrency, Duration minBackoff, Duration maxBackoff,
                           long streamingPartSize) {
        this(dir, capacityBytes, uploadDelay, commitQuiet, maxRenameKeys, uploadConcurrency, minBackoff, maxBackoff,
                streamingPartSize, true);
    }

    /** The settings with the default streaming part size. */
    public StagingSettings(Path dir, long capacityBytes, Duration uploadDelay, Duration commitQuiet,
                           int maxRenameKeys, int uploadConcurrency, Duration minBackoff, Duration maxBackoff) {
        this(dir, capacityBytes, uploadDelay, commitQuiet, maxRenameKeys, uploadConcurrency, minBackoff, maxBackoff,
                DEFAULT_STREAMING_PART_SIZE);
    }

    public StagingSettings withStreamingPartSize(long bytes) {
        return new StagingSettings(dir, capacityBytes, uploadDelay, commitQuiet, maxRenameKeys, uploadConcurrency,
                minBackoff, maxBackoff, bytes, directIo);
    }

    public StagingSettings withDirectIo(boolean on) {
        return new StagingSettings(dir, capacityBytes, uploadDelay, commitQuiet, maxRenameKeys, uploadConcurrency,
                minBackoff, maxBackoff, streamingPartSize, on);
    }

    /** {@code dir} and {@code capacityBytes} with the defaults for the rest. */
    public static StagingSettings defaults(Path dir, long capacityBytes) {
        return new StagingSettings(dir, capacityBytes, DEFAULT_UPLOAD_DELAY, DEFAULT_COMMIT_QUIET,
                DEFAULT_MAX_RENAME_KEYS, DEFAULT_UPLOAD_CONCURRENCY, Duration.ofSeconds(1), Duration.ofMinutes(5));
    }
}
