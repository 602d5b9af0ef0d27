package io.prefetchd.gateway.fs;

import io.prefetchd.gateway.s3.ObjectStoreException;

/**
 * The one place where an object-store failure becomes a file-system error:
 * <ul>
 *   <li>NOT_FOUND, CHANGED: {@link FsError#STALE} (the object the handle or open named is gone or was replaced);</li>
 *   <li>THROTTLED, UNAVAILABLE (after the store's own retries): {@link FsError#DELAY}, so the client retries;</li>
 *   <li>UNREACHABLE (the store does not answer at all): {@link FsError#IO}, so that an application reading data
 *       that is not cached gets an error in seconds instead of a kernel client retrying until S3 is back;</li>
 *   <li>ACCESS_DENIED: {@link FsError#ACCESS};</li>
 *   <li>anything else: {@link FsError#IO}.</li>
 * </ul>
 */
public final class StoreErrors {
    private StoreErrors() {
    }

    public static FsException toFs(ObjectStoreException e) {
        FsError error = switch (e.kind()) {
            case NOT_FOUND, CHANGED -> FsError.STALE;
            case THROTTLED, UNAVAILABLE -> FsError.DELAY;
            case UNREACHABLE -> FsError.IO;
            case ACCESS_DENIED -> FsError.ACCESS;
            case IO -> FsError.IO;
        };
        return new FsException(error, e.getMessage(), e);
    }
}
