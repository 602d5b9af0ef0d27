package io.prefetchd.gateway.fs;


import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * The small interface between the protocols (NFS, the S3 endpoint) and storage. Implementations are thread-safe;
 * every method may be called concurrently from protocol worker threads.
 *
 * <p><b>Writes.</b> A file system that takes writes ({@link #writable()}) stages written bytes on local disk and
 * makes each file one object in S3 after its last writer closes it. The write methods below answer
 * ROFS by default. Errors are {@link FsError}s: EXIST, NOTEMPTY, ISDIR, NOTDIR, NOENT, NOSPC (the
 * staging area is full), BADNAME (a name S3 keys cannot hold), IO (S3 failed and nothing could be decided).
 *
 * <p>A file being written is readable at once: {@link #read} of a staged file serves its current staged bytes,
 * whatever version the caller pinned, and {@link #getattr} shows its current size.
 */
public interface VirtualFileSystem {

    /** @throws FsException STALE when the name no longer exists */
    FileAttributes getattr(Inode inode) throws FsException;

    /** @throws FsException NOENT when {@code name} is not in {@code dir} */
    Inode lookup(Inode dir, String name) throws FsException;

    /**
     * The directory's entries, sorted by {@link DirListing#NAME_ORDER}. {@code verifier} 0 asks for the current
     * snapshot; another value asks for the snapshot with that verifier, and gets it while it is held, else the
     * current one (the caller compares verifiers to tell).
     */
    DirListing list(Inode dir, long verifier) throws FsException;

    /**
     * Completes once {@link #getattr} of {@code inode} answers without waiting on S3: at once when its attributes
     * are held, else when a metadata thread has asked S3 (never on the caller's thread). It completes exceptionally
     * with the {@link FsException} {@link #getattr} would throw then, if any; the caller calls {@link #getattr}
     * after it completed normally. The default, for file systems that never wait, is complete.
     */
    default CompletableFuture<Void> attributesKnown(Inode inode) {
        return KNOWN;
    }

    /**
     * As {@link #attributesKnown}, for {@link #lookup} of {@code name} in {@code dir} and, when it finds a file,
     * {@link #getattr} of that file: what LOOKUP and OPEN by name need.
     */
    default CompletableFuture<Void> nameKnown(Inode dir, String name) {
        return KNOWN;
    }

    /** What {@link #attributesKnown} and {@link #nameKnown} answer when nothing needs asking. */
    CompletableFuture<Void> KNOWN = CompletableFuture.completedFuture(null);

    /**
     * Bytes {@code [offset, offset + count)} of exactly the version {@code version} describes, fewer at the end
     * of the file, none at or past it; with how they were served.
     */
    ReadResult read(Inode file, FileAttributes version, long offset, int count) throws FsException;

    /**
     * As {@link #read}, without waiting on S3: the future completes with the bytes once they are there, or
     * exceptionally with the {@link FsException} {@link #read} would throw. Bytes on local disk may be read on
     * the caller's thread; a file system that fetches overrides the default, which reads synchronously.
     */
    default CompletableFuture<ReadResult> readAsync(Inode file, FileAttributes version, long offset, int count) {
        try {
            return CompletableFuture.completedFuture(read(file, version, offset, count));
        } catch (FsException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    FsStats statfs();

    /** Whether the file system takes writes at all; a read-write export rule grants them only if it does. */
    default boolean writable() {
        return false;
    }

    /**
     * Identifies this run of the file system for COMMIT and WRITE replies: it changes whenever the gateway
     * restarts, so a client resends what it wrote unstably and never committed.
     */
    default long writeVerifier() {
        return 0;
    }

    /**
     * Creates (or, as {@code how} allows, opens) regular file {@code name} in {@code dir}, owned by
     * {@code creator} unless the attributes say otherwise. Returns the file; its attributes show what was applied.
     */
    default Inode create(Inode dir, String name, CreateHow how, Owner creator) throws FsException {
        throw readOnly();
    }

    /**
     * Writes {@code data} (position to limit) at {@code offset}, extending the file as needed. With
     * {@code durable} the bytes are forced to the staging disk before this returns. A file not staged yet (an
     * object in S3) is first copied into staging whole. NOSPC when the staging area has no room for the
     * bytes beyond the file's end; nothing is written then.
     */
    default WriteResult write(Inode file, long offset, ByteBuffer data, boolean durable) throws FsException {
        throw readOnly();
    }

    /** Forces everything written to {@code file} so far to the staging disk (COMMIT). */
    default void commit(Inode file) throws FsException {
        throw readOnly();
    }

    /**
     * Tells the file system that the last open for writing of {@code file} was closed: its staged bytes may
     * become an object now. Called for files that were never written too; it is then a no-op. Call it as well when
     * the last write open goes away without a CLOSE (its client's lease expired, the open was revoked); a file left
     * open is uploaded anyway once nobody wrote it for 10 minutes.
     */
    default void closed(Inode file) throws FsException {
    }

    /** Applies {@code attributes} (size truncates or extends a file) and returns the result. */
    default FileAttributes setattr(Inode inode, NewAttributes attributes) throws FsException {
        throw readOnly();
    }

    /** Creates directory {@code name} in {@code dir} (a folder marker in S3); EXIST when the name exists. */
    default Inode mkdir(Inode dir, String name, NewAttributes attributes, Owner creator) throws FsException {
        throw readOnly();
    }

    /** Removes file or empty directory {@code name} from {@code dir}; NOTEMPTY for a non-empty one. */
    default void remove(Inode dir, String name) throws FsException {
        throw readOnly();
    }

    /**
     * Renames {@code fromDir/fromName} to {@code toDir/toName}, replacing a file there (or an empty directory, when
     * the source is a directory), as POSIX rename does. Errors as Linux's NFS server answers them: a file onto a
     * directory ISDIR, a directory onto a file NOTDIR, onto a non-empty directory NOTEMPTY,
     * into itself INVAL; a directory with too many keys to move in S3 XDEV.
     */
    default void rename(Inode fromDir, String fromName, Inode toDir, String toName) throws FsException {
        throw readOnly();
    }

    /**
     * Makes the bytes of local file {@code content} (which the caller no longer changes) the object at
     * {@code file}'s path, owned by {@code owner} (null: the owner files show when they carry none) with
     * {@code mtime} and user {@code metadata} ({@code x-amz-meta-*} names without the prefix; where they name the
     * owner and mtime the file system writes itself, they win), and returns once S3 has it, with the new version's
     * attributes: what an S3 client's PUT is. Folders above it that do not exist are shown at once, as S3 keys
     * imply them. ISDIR when a directory has the name, NOTDIR when a file has the name of a folder
     * above it; the store's failures as {@link StoreErrors} maps them. A file being written at that path (staged)
     * goes on being shown, and its upload replaces this object: the last writer wins.
     */
    default FileAttributes put(Inode file, Path content, @Nullable Owner owner, Instant mtime,
                               Map<String, String> metadata)
            throws FsException {
        throw readOnly();
    }

    private static FsException readOnly() {
        return new FsException(FsError.ROFS, "read-only file system");
    }
}
