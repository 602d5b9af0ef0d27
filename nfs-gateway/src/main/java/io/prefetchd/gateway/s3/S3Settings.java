package io.prefetchd.gateway.s3;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * How to reach one bucket.
 *
 * @param endpoint the S3 endpoint, {@code null} for AWS's own (resolved from the region)
 * @param region the signing region; {@code null} means the SDK's region chain when {@code endpoint} is
 *     {@code null}, and {@code us-east-1} when an endpoint is given (what S3-compatible servers expect)
 * @param bucket the bucket name (3 to 63 characters; the SDK checks this before sending)
 * @param pathStyle {@code true} for {@code http://host/bucket/key} addressing (MinIO, S3Proxy), {@code false}
 *     for virtual-host style
 * @param maxConcurrency requests in flight at once; further requests queue (up to
 *     {@link #maxQueuedRequests()}) and are rejected beyond that. Default {@value #DEFAULT_MAX_CONCURRENCY}
 * @param maxAttempts attempts per request, including the first; retries back off exponentially with jitter
 *     on 5xx, throttling (429, 503 SlowDown), I/O errors and attempt timeouts. Default
 *     {@value #DEFAULT_MAX_ATTEMPTS}
 * @param apiCallTimeout the deadline for a request including all its retries; each attempt gets
 *     {@code apiCallTimeout / maxAttempts} (at least one second). Default 30 s
 * @param connectTimeout how long opening a connection may take before the attempt fails. Default 2 s: on a
 *     healthy network a TCP handshake to S3 takes milliseconds, and a dead endpoint must not hold reads for long
 * @param readTimeout how long a connection may stay silent (no byte of a response) before the attempt fails;
 *     a large GET whose bytes keep arriving is not cut by it. Default 5 s, capped by the attempt timeout
 * @param uploads how objects are written (parts, write concurrency, retries). Default
 *     {@link UploadSettings#defaults()}
 */
public record S3Settings(
        @Nullable URI endpoint,
        @Nullable String region,
        String bucket,
        boolean pathStyle,
        int maxConcurrency,
        int maxAttempts,
        Duration apiCallTimeout,
        Duration connectTimeout,
        Duration readTimeout,
        UploadSettings uploads) {

    public static final int DEFAULT_MAX_CONCURRENCY = 128;
    public static final int DEFAULT_MAX_ATTEMPTS = 4;
    public static final Duration DEFAULT_API_CALL_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(5);
    /** Requests that may wait for a free slot, per slot of {@link #maxConcurrency()}. */
    static final int QUEUED_PER_SLOT = 16;

    public S3Settings {
        requireNonNull(bucket, "bucket is null");
        requireNonNull(apiCallTimeout, "apiCallTimeout is null");
        if (bucket.isBlank()) {
            throw new IllegalArgumentException("bucket is blank");
        }
        if (maxConcurrency < 1) {
            throw new IllegalArgumentException("maxConcurrency must be at least 1: " + maxConcurrency);
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1: " + maxAttempts);
        }
        if (apiCallTimeout.isNegative() || apiCallTimeout.isZero()) {
            throw new IllegalArgumentException("apiCallTimeout must be positive: " + apiCallTimeout);
        }
        requireNonNull(connectTimeout, "connectTimeout is null");
        requireNonNull(readTimeout, "readTimeout is null");
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connectTimeout must be positive: " + connectTimeout);
        }
        if (readTimeout.isNegative() || readTimeout.isZero()) {
            throw new IllegalArgumentException("readTimeout must be positive: " + readTimeout);
        }
        requireNonNull(uploads, "uploads is null");
    }

    /** Settings with the default {@link UploadSettings}. */
    public S3Settings(@Nullable URI endpoint, @Nullable String region, String bucket, boolean pathStyle,
            int maxConcurrency, int maxAttempts, Duration apiCallTimeout, Duration connectTimeout,
            Duration readTimeout) {
        this(endpoint, region, bucket, pathStyle, maxConcurrency, maxAttempts, apiCallTimeout, connectTimeout,
                readTimeout, UploadSettings.defaults());
    }

    /** Settings with the default concurrency, attempts and timeout. */
    public static S3Settings of(@Nullable URI endpoint, @Nullable String region, String bucket, boolean pathStyle) {
        return new S3Settings(endpoint, region, bucket, pathStyle,
                DEFAULT_MAX_CONCURRENCY, DEFAULT_MAX_ATTEMPTS, DEFAULT_API_CALL_TIMEOUT, DEFAULT_CONNECT_TIMEOUT,
                DEFAULT_READ_TIMEOUT);
    }

    /** Settings for a bucket on AWS S3 itself, region from the SDK's chain, virtual-host addressing. */
    public static S3Settings aws(String bucket) {
        return of(null, null, bucket, false);
    }

    public S3Settings withMaxConcurrency(int value) {
        return new S3Settings(endpoint, region, bucket, pathStyle, value, maxAttempts, apiCallTimeout, connectTimeout,
                readTimeout, uploads);
    }

    public S3Settings withMaxAttempts(int value) {
        return new S3Settings(endpoint, region, bucket, pathStyle, maxConcurrency, value, apiCallTimeout, connectTimeout,
                readTimeout, uploads);
    }

    public S3Settings withApiCallTimeout(Duration value) {
        return new S3Settings(endpoint, region, bucket, pathStyle, maxConcurrency, maxAttempts, value, connectTimeout,
                readTimeout, uploads);
    }

    public S3Settings withTimeouts(Duration connect, Duration read) {
        return new S3Settings(endpoint, region, bucket, pathStyle, maxConcurrency, maxAttempts, apiCallTimeout, connect,
                read, uploads);
    }

    public S3Settings withUploads(UploadSettings value) {
        return new S3Settings(endpoint, region, bucket, pathStyle, maxConcurrency, maxAttempts, apiCallTimeout,
                connectTimeout, readTimeout, value);
    }

    /** The silence after which a connection's attempt fails: {@link #readTimeout()}, at most the attempt timeout. */
    public Duration effectiveReadTimeout() {
        Duration attempt = attemptTimeout();
        return readTimeout.compareTo(attempt) < 0 ? readTimeout : attempt;
    }

    /** The region to sign with, or {@code null} to let the SDK resolve it (AWS endpoint, no region set). */
    public @Nullable String effectiveRegion() {
        if (region != null && !region.isBlank()) {
            return region;
        }
        return endpoint != null ? "us-east-1" : null;
    }

    /** Requests that may wait for a free slot before new ones are rejected as {@code THROTTLED}. */
    public int maxQueuedRequests() {
        return maxConcurrency * QUEUED_PER_SLOT;
    }

    /** The timeout of one attempt: {@code apiCallTimeout / maxAttempts}, at least one second. */
    public Duration attemptTimeout() {
        Duration perAttempt = apiCallTimeout.dividedBy(maxAttempts);
        Duration floor = Duration.ofSeconds(1);
        return perAttempt.compareTo(floor) < 0 ? (apiCallTimeout.compareTo(floor) < 0 ? apiCallTimeout : floor) : perAttempt;
    }
}
