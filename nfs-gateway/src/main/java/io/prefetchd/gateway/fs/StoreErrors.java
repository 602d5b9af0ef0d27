package io.prefetchd.gateway.fs;

import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.s3.ObjectStoreException;

/**
 * The one place where an object-store failure becomes an NFS status:
 * <ul>
 *   <li>NOT_FOUND, CHANGED: NFS4ERR_STALE (the object the handle or open named is gone or was replaced);</li>
 *   <li>THROTTLED, UNAVAILABLE (after the store's own retries): NFS4ERR_DELAY, so the client retries;</li>
 *   <li>UNREACHABLE (the store does not answer at all): NFS4ERR_IO, so that an application reading data that
 *       is not cached gets an error in seconds instead of a kernel client retrying DELAY until S3 is back;</li>
 *   <li>ACCESS_DENIED: NFS4ERR_ACCESS;</li>
 *   <li>anything else: NFS4ERR_IO.</li>
 * </ul>
 */
public final class StoreErrors {
    private StoreErrors() {
    }

    public static NfsException toNfs(ObjectStoreException e) {
        NfsStatus status = switch (e.kind()) {
            case NOT_FOUND, CHANGED -> NfsStatus.NFS4ERR_STALE;
            case THROTTLED, UNAVAILABLE -> NfsStatus.NFS4ERR_DELAY;
            case UNREACHABLE -> NfsStatus.NFS4ERR_IO;
            case ACCESS_DENIED -> NfsStatus.NFS4ERR_ACCESS;
            case IO -> NfsStatus.NFS4ERR_IO;
        };
        return new NfsException(status, e.getMessage(), e);
    }
}
