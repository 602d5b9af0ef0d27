package io.prefetchd.gateway.fs;

/**
 * Why a file-system operation failed, in the file system's own terms. Each protocol front end (NFS, the S3
 * endpoint) turns these into its own error codes in one place.
 */
public enum FsError {
    /** No file or directory by that name. */
    NOENT,
    /** The name is already taken. */
    EXIST,
    /** A directory was needed and the file is something else. */
    NOTDIR,
    /** The file is a directory and the operation needs one that is not. */
    ISDIR,
    /** The directory to remove or replace still has entries. */
    NOTEMPTY,
    /** The caller, or the gateway's credentials in the object store, may not do this. */
    ACCESS,
    /** The local staging space is full. */
    NOSPC,
    /** A configured quota (staged bytes, open uploads) is reached. */
    DQUOT,
    /** The file the caller named is gone or was replaced underneath it. */
    STALE,
    /** A transient failure: the same call may succeed when retried later. */
    DELAY,
    /** The operation failed and retrying is not expected to help. */
    IO,
    /** An argument is not valid for this file. */
    INVAL,
    /** A name component is longer than the file system allows. */
    NAMETOOLONG,
    /** A name the file system cannot store (an empty component, a character the store cannot key). */
    BADNAME,
    /** The file system, or this part of it, is read-only. */
    ROFS,
    /** The file would be larger than the file system allows. */
    FBIG,
    /** The operation would move a file across file systems the gateway keeps apart. */
    XDEV
}
