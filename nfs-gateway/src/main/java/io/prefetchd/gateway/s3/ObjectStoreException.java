package io.prefetchd.gateway.s3;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * An object-store failure with its meaning for the caller. The message names the bucket, the key and what
 * failed.
 */
public final class ObjectStoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What a failure means for the caller. */
    public enum Kind {
        /** The object (or bucket) does not exist. */
        NOT_FOUND,
        /** The object exists but no longer has the ETag the caller asked for (HTTP 412 on If-Match). */
        CHANGED,
        /** The credentials may not read the object (HTTP 401/403, or no credentials at all). */
        ACCESS_DENIED,
        /** The store kept asking us to slow down (429, 503 SlowDown) after all retries: try again later. */
        THROTTLED,
        /** The store answered with 5xx (or a local wait ran out) after all retries: try again later. */
        UNAVAILABLE,
        /**
         * The store did not answer at all (connection refused or reset, timeouts) after all retries, or is known
         * to be unreachable and the request was not sent: fail fast, cached data only.
         */
        UNREACHABLE,
        /** Anything else: a bad request, a malformed response, a local I/O problem. */
        IO;

        /** Whether trying again later may succeed (the NFS layer answers NFS4ERR_DELAY). */
        public boolean isRetryable() {
            return this == THROTTLED || this == UNAVAILABLE || this == UNREACHABLE;
        }
    }

    private final Kind kind;
    private final String bucket;
    private final String key;

    /**
     * @param kind what the failure means
     * @param bucket the bucket
     * @param key the object key, or the prefix for a listing
     * @param what what failed, e.g. {@code "GET bytes=0-1023: HTTP 412 PreconditionFailed"}
     * @param cause the underlying exception, may be {@code null}
     */
    public ObjectStoreException(Kind kind, String bucket, String key, String what, @Nullable Throwable cause) {
        super(requireNonNull(kind, "kind is null") + " s3://" + bucket + "/" + key + ": " + what, cause);
        this.kind = kind;
        this.bucket = bucket;
        this.key = key;
    }

    public ObjectStoreException(Kind kind, String bucket, String key, String what) {
        this(kind, bucket, key, what, null);
    }

    /** Never null: the constructors always build one from the kind, the object and what failed. */
    @Override
    public String getMessage() {
        return requireNonNull(super.getMessage(), "the constructors always set a message");
    }

    public Kind kind() {
        return kind;
    }

    public String bucket() {
        return bucket;
    }

    public String key() {
        return key;
    }
}
