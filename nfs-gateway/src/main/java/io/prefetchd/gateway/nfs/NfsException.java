package io.prefetchd.gateway.nfs;

import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * An operation failed with an NFS status. Thrown anywhere below the COMPOUND processor (file system, state,
 * S3 translation) and turned into the operation's result status in exactly one place.
 */
public class NfsException extends Exception {
    private final NfsStatus status;

    public NfsException(NfsStatus status, @Nullable String message) {
        super(message, null, false, false);
        this.status = requireNonNull(status, "status is null");
    }

    public NfsException(NfsStatus status, @Nullable String message, Throwable cause) {
        super(message, cause, false, false);
        this.status = requireNonNull(status, "status is null");
    }

    public NfsStatus status() {
        return status;
    }

    @Override
    public String toString() {
        return status + ": " + getMessage();
    }
}
