package io.prefetchd.gateway.fs;

import io.prefetchd.gateway.nfs.NfsException;

/**
 * The small interface between the NFS protocol and storage. Read-only for now. Implementations are
 * thread-safe; every method may be called concurrently from NFS worker threads.
 */
public interface VirtualFileSystem {

    /** @throws NfsException NFS4ERR_STALE when the name no longer exists */
    FileAttributes getattr(Inode inode) throws NfsException;

    /** @throws NfsException NFS4ERR_NOENT when {@code name} is not in {@code dir} */
    Inode lookup(Inode dir, String name) throws NfsException;

    /**
     * The directory's entries. {@code verifier} 0 asks for the current snapshot; another value asks for the
     * snapshot with that verifier (NFS4ERR_NOT_SAME when it is gone and the directory changed).
     */
    DirListing list(Inode dir, long verifier) throws NfsException;

    /**
     * Bytes {@code [offset, offset + count)} of exactly the version {@code version} describes, fewer at the end
     * of the file, none at or past it; with how they were served.
     */
    ReadResult read(Inode file, FileAttributes version, long offset, int count) throws NfsException;

    FsStats statfs();

    /** Whether the file system takes writes at all; a read-write export rule grants them only if it does. */
    default boolean writable() {
        return false;
    }
}
