package io.prefetchd.gateway.nfs.v4;

import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;

import static java.util.Objects.requireNonNull;

/**
 * An operation failed with a status whose result still carries a body, such as NFS4ERR_DENIED from LOCK and LOCKT
 * (the conflicting lock, LOCK4denied). The COMPOUND encodes the body after the status and stops there.
 */
public final class NfsErrorWithBody extends NfsException {
    private final transient NfsOperation.Result body;

    public NfsErrorWithBody(NfsStatus status, String message, NfsOperation.Result body) {
        super(status, message);
        this.body = requireNonNull(body, "body is null");
    }

    public NfsOperation.Result body() {
        return body;
    }
}
