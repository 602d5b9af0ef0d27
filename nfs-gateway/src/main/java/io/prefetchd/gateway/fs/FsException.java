package io.prefetchd.gateway.fs;

import static java.util.Objects.requireNonNull;

/**
 * A file-system operation failed for the reason {@link #error()} names. The file system knows nothing of the
 * protocols that serve it; each front end turns the error into its own status code.
 */
public class FsException extends Exception {
    private final FsError error;

    public FsException(FsError error, String message) {
        super(message, null, false, false);
        this.error = requireNonNull(error, "error is null");
    }

    public FsException(FsError error, String message, Throwable cause) {
        super(message, cause, false, false);
        this.error = requireNonNull(error, "error is null");
    }

    public FsError error() {
        return error;
    }

    @Override
    public String toString() {
        return error + ": " + getMessage();
    }
}
