package io.prefetchd.gateway.datasets;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/** Why a dataset cannot be served; the message names the dataset (format and path in the export). */
public final class DatasetException extends RuntimeException {

    /** What went wrong, so that callers can map it to their protocol's status. */
    public enum Reason {
        /** Nothing in the bucket at the dataset's path. */
        NOT_FOUND,
        /** Objects are there, but none is a sample of the format (e.g. no {@code .tar} for webdataset). */
        EMPTY,
        /** Every object of the dataset failed to index (corrupt, unreadable). */
        UNREADABLE,
        /** A malformed request: bad path, columns on a format without columns. */
        INVALID,
        /** The store could not be listed (S3 down, throttling, credentials). */
        UNAVAILABLE
    }

    private final Reason reason;

    public DatasetException(Reason reason, String message) {
        this(reason, message, null);
    }

    public DatasetException(Reason reason, String message, @Nullable Throwable cause) {
        super(message, cause);
        this.reason = requireNonNull(reason, "reason is null");
    }

    public Reason reason() {
        return reason;
    }
}
