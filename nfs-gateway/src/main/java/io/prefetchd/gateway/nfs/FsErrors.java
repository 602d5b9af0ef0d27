package io.prefetchd.gateway.nfs;

import io.prefetchd.gateway.fs.FsError;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;

/** The one place where a file-system error becomes an NFSv4 status: each {@link FsError} has its namesake. */
public final class FsErrors {
    private FsErrors() {
    }

    public static NfsStatus status(FsError error) {
        return switch (error) {
            case NOENT -> NfsStatus.NFS4ERR_NOENT;
            case EXIST -> NfsStatus.NFS4ERR_EXIST;
            case NOTDIR -> NfsStatus.NFS4ERR_NOTDIR;
            case ISDIR -> NfsStatus.NFS4ERR_ISDIR;
            case NOTEMPTY -> NfsStatus.NFS4ERR_NOTEMPTY;
            case ACCESS -> NfsStatus.NFS4ERR_ACCESS;
            case NOSPC -> NfsStatus.NFS4ERR_NOSPC;
            case DQUOT -> NfsStatus.NFS4ERR_DQUOT;
            case STALE -> NfsStatus.NFS4ERR_STALE;
            case DELAY -> NfsStatus.NFS4ERR_DELAY;
            case IO -> NfsStatus.NFS4ERR_IO;
            case INVAL -> NfsStatus.NFS4ERR_INVAL;
            case NAMETOOLONG -> NfsStatus.NFS4ERR_NAMETOOLONG;
            case BADNAME -> NfsStatus.NFS4ERR_BADNAME;
            case ROFS -> NfsStatus.NFS4ERR_ROFS;
            case FBIG -> NfsStatus.NFS4ERR_FBIG;
            case XDEV -> NfsStatus.NFS4ERR_XDEV;
        };
    }

    /** {@code e} as the NFS error it answers, with {@code e} as its cause. */
    public static NfsException toNfs(FsException e) {
        return new NfsException(status(e.error()), e.getMessage(), e);
    }
}
