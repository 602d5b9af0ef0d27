package io.prefetchd.gateway.s3;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How objects are written: when a file goes up as one PUT or as a multipart upload, how its parts are sized,
 * how many write requests run at once, and how patiently a failed part is tried again.
 *
 * <h2>Part size</h2>
 * A file of {@code size} bytes is cut into parts of {@code size / (4 * concurrency)} rounded up to a MiB, kept
 * within {@code [minPartSize, maxPartSize]}: four parts per slot keep every slot busy to the end, so the last
 * part is not one slow straggler, and parts stay large enough that per-request cost is small. S3 allows at most
 * {@value #MAX_PARTS} parts, so very large files get larger parts (up to S3's 5 GiB part limit; a file needing
 * more is refused). With the defaults a 1 GiB file goes up as 64 parts of 16 MiB, 100 GiB as 1,600 of 64 MiB.
 * Server-side copies in parts (UploadPartCopy) use the same sizes.
 *
 * <h2>Retries</h2>
 * Every request already has the SDK's retries ({@link S3Settings#maxAttempts()}, with backoff and jitter).
 * A PUT, part or copy that still fails with a transient error (5xx, throttling) is tried again, up to
 * {@code attempts} times in all, after {@code firstBackoff}, then twice that, and so on up to
 * {@code maxBackoff}, each delay jittered to between half and all of it: an upload is worth more patience
 * than a read a client waits on. An unreachable store (its circuit breaker open) is not retried here: that
 * fails at once.
 *
 * @param concurrency write requests (PUTs, parts, copies) in flight at once, all uploads together; more wait
 *     in a queue. Default {@value #DEFAULT_CONCURRENCY}
 * @param multipartThreshold files of at least this many bytes go up as multipart uploads; smaller ones as one
 *     PUT. Default 16 MiB
 * @param minPartSize the smallest part (S3's minimum is 5 MiB for all parts but the last). Default 8 MiB
 * @param maxPartSize the largest part, unless a file needs larger ones to fit {@value #MAX_PARTS} parts.
 *     Default 64 MiB
 * @param multipartCopyThreshold objects of more than this many bytes are copied in parts (S3's CopyObject
 *     takes at most 5 GiB). Default 5 GiB
 * @param attempts attempts per PUT, part or copy at this level, the first included. Default
 *     {@value #DEFAULT_ATTEMPTS}
 * @param firstBackoff the pause before the first of those retries. Default 1 s
 * @param maxBackoff the longest pause between them. Default 30 s
 */
public record UploadSettings(
        int concurrency,
        long multipartThreshold,
        long minPartSize,
        long maxPartSize,
        long multipartCopyThreshold,
        int attempts,
        Duration firstBackoff,
        Duration maxBackoff) {

    public static final long MIB = 1L << 20;
    /** S3's smallest part, all but the last. */
    public static final long S3_MIN_PART = 5 * MIB;
    /** S3's largest part, and largest single PUT or CopyObject. */
    public static final long S3_MAX_PART = 5L << 30;
    /** S3's most parts in one upload. */
    public static final int MAX_PARTS = 10_000;
    public static final int DEFAULT_CONCURRENCY = 16;
    public static final int DEFAULT_ATTEMPTS = 3;
    /** Parts per slot of {@link #concurrency()} a file is cut into, between the part size bounds. */
    static final int PARTS_PER_SLOT = 4;

    public UploadSettings {
        requireNonNull(firstBackoff, "firstBackoff is null");
        requireNonNull(maxBackoff, "maxBackoff is null");
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1: " + concurrency);
        }
        if (multipartThreshold < 1 || multipartThreshold > S3_MAX_PART) {
            throw new IllegalArgumentException("multipartThreshold must be in [1, 5 GiB]: " + multipartThreshold);
        }
        if (minPartSize < S3_MIN_PART || maxPartSize < minPartSize || maxPartSize > S3_MAX_PART) {
            throw new IllegalArgumentException("part sizes must satisfy 5 MiB <= minPartSize <= maxPartSize <= 5 GiB: "
                    + minPartSize + ", " + maxPartSize);
        }
        if (multipartCopyThreshold < 1 || multipartCopyThreshold > S3_MAX_PART) {
            throw new IllegalArgumentException("multipartCopyThreshold must be in [1, 5 GiB]: " + multipartCopyThreshold);
        }
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1: " + attempts);
        }
        if (firstBackoff.isNegative() || maxBackoff.compareTo(firstBackoff) < 0) {
            throw new IllegalArgumentException("backoff must satisfy 0 <= firstBackoff <= maxBackoff: "
                    + firstBackoff + ", " + maxBackoff);
        }
    }

    /** The defaults listed above. */
    public static UploadSettings defaults() {
        return new UploadSettings(DEFAULT_CONCURRENCY, 16 * MIB, 8 * MIB, 64 * MIB, S3_MAX_PART, DEFAULT_ATTEMPTS,
                Duration.ofSeconds(1), Duration.ofSeconds(30));
    }

    public UploadSettings withConcurrency(int value) {
        return new UploadSettings(value, multipartThreshold, minPartSize, maxPartSize, multipartCopyThreshold,
                attempts, firstBackoff, maxBackoff);
    }

    /** Other multipart bounds, for tests that exercise multipart uploads and copies with small objects. */
    public UploadSettings withMultipart(long threshold, long minPart, long maxPart, long copyThreshold) {
        return new UploadSettings(concurrency, threshold, minPart, maxPart, copyThreshold, attempts, firstBackoff,
                maxBackoff);
    }

    public UploadSettings withRetries(int value, Duration first, Duration max) {
        return new UploadSettings(concurrency, multipartThreshold, minPartSize, maxPartSize, multipartCopyThreshold,
                value, first, max);
    }

    /**
     * The part size for an object of {@code size} bytes (see the class comment).
     *
     * @throws IllegalArgumentException when even 5 GiB parts cannot hold it in {@value #MAX_PARTS} parts
     */
    public long partSize(long size) {
        if (size < 0) {
            throw new IllegalArgumentException("size is negative: " + size);
        }
        long part = roundUpToMib(ceilDiv(size, (long) PARTS_PER_SLOT * concurrency));
        part = Math.max(minPartSize, Math.min(maxPartSize, part));
        part = Math.max(part, roundUpToMib(ceilDiv(size, MAX_PARTS)));
        if (part > S3_MAX_PART) {
            throw new IllegalArgumentException(size + " bytes do not fit in " + MAX_PARTS + " parts of 5 GiB");
        }
        return part;
    }

    /** How many parts of {@link #partSize} an object of {@code size} bytes takes. */
    public int partCount(long size) {
        return (int) Math.max(1, ceilDiv(size, partSize(size)));
    }

    private static long roundUpToMib(long bytes) {
        return ceilDiv(bytes, MIB) * MIB;
    }

    private static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }
}
