package io.prefetchd.gateway.fs.staging;

import io.prefetchd.gateway.fs.FsError;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Owner;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * One file being written: its bytes in a sparse local file, its name and attributes, and its upload's progress.
 *
 * <p>Thread-safety: {@link #path} and {@link #conditional} change only under the {@link StagingArea}'s lock (and are
 * volatile for readers); everything else is guarded by this object's monitor. The staging area's lock may be held
 * when this monitor is taken, never the other way round.
 */
final class StagedFile {
    /**
     * What an upload took: the name, the version of the bytes it sent, and how many renames the file had had (a
     * file renamed away and back has its name again, but the object under it may have gone meanwhile).
     */
    record Snapshot(String path, long generation, long renames) {
    }

    final long id;
    final Path file;
    /** The ETag shown for the file while it is staged: unique to this staged file in this gateway's life. */
    final String etag;
    final Instant stagedAt;
    private final StagedBytes bytes;
    private final StagingArea area;
    /**
     * ETag of the object in S3 under the file's name that its upload replaces (If-Match), null when none is known:
     * a new file, or one renamed (the object under the old name was deleted). Changes under the area's lock.
     */
    volatile @Nullable String baseEtag;
    /** An EXCLUSIVE create's verifier, or null. */
    final @Nullable Long verifier;

    volatile String path;
    /** Renames so far; changes with {@link #path}, under the area's lock. */
    final AtomicLong renames = new AtomicLong();
    /**
     * Whether the upload is conditional: If-Match {@link #baseEtag}, or If-None-Match when it is null. Off once
     * renamed over another name, or once a conflict was resolved as last close wins.
     */
    volatile boolean conditional;
    private volatile boolean gone;
    /** The upload of this file while it is written, or null (set once, right after creation). */
    volatile @Nullable StreamingUpload streaming;

    private long size;
    private @Nullable Owner owner;
    private Instant mtime;
    private long generation;
    private boolean closed;
    private Instant lastWrite;
    private @Nullable Instant due;
    private @Nullable Snapshot uploading;
    private int failures;
    private @Nullable String lastError;

    StagedFile(StagingArea area, long id, Path file, StagedBytes bytes, String etag, String path,
               @Nullable Owner owner, Instant mtime, @Nullable String baseEtag, boolean isNew,
               @Nullable Long verifier, long size, Instant stagedAt) {
        this.area = requireNonNull(area, "area is null");
        this.id = id;
        this.file = requireNonNull(file, "file is null");
        this.bytes = requireNonNull(bytes, "bytes is null");
        this.etag = requireNonNull(etag, "etag is null");
        this.path = requireNonNull(path, "path is null");
        this.owner = owner;
        this.mtime = requireNonNull(mtime, "mtime is null");
        this.baseEtag = baseEtag;
        this.conditional = isNew || baseEtag != null;
        this.verifier = verifier;
        this.size = size;
        this.stagedAt = requireNonNull(stagedAt, "stagedAt is null");
        this.lastWrite = stagedAt;
    }

    /** Writes {@code data} at {@code offset}; forces it (and the file's length) to disk with {@code durable}. */
    synchronized int write(long offset, ByteBuffer data, boolean durable, Instant now) throws FsException {
        checkLive();
        int count = data.remaining();
        long end = offset + count;
        if (end > size) {
            area.reserve(end - size, path);
        }
        try {
            area.written(count, bytes.write(data, offset));
            if (durable) {
                bytes.force();
            }
        } catch (IOException e) {
            if (end > size) {
                area.release(end - size);
            }
            throw StagingArea.ioError("write to " + path, e);
        }
        size = Math.max(size, end);
        StreamingUpload s = streaming;
        if (s != null) {
            s.changed(offset, end, size, true);
        }
        mtime = now;
        lastWrite = now;
        closed = false;
        generation++;
        return count;
    }

    /** Up to {@code count} bytes at {@code offset}, fewer at the end of the file. */
    synchronized byte[] read(long offset, int count) throws FsException {
        checkLive();
        if (offset >= size || count <= 0) {
            return new byte[0];
        }
        ByteBuffer b = ByteBuffer.allocate((int) Math.min(count, size - offset));
        try {
            while (b.hasRemaining()) {
                int n = bytes.read(b, offset + b.position());
                if (n < 0) {
                    break;   // a hole at the end: setLength extended the file, reads as zeros
                }
            }
        } catch (IOException e) {
            throw StagingArea.ioError("read of " + path, e);
        }
        return b.array();
    }

    /**
     * Fills {@code into} (from its position to its limit) with the bytes at {@code offset}, fewer at the end of the
     * file; returns how many it holds now.
     */
    synchronized int read(long offset, ByteBuffer into) throws FsException {
        checkLive();
        int start = into.position();
        if (offset >= size) {
            return 0;
        }
        if (into.remaining() > size - offset) {
            into.limit(start + (int) (size - offset));
        }
        try {
            while (into.hasRemaining()) {
                if (bytes.read(into, offset + into.position() - start) < 0) {
                    while (into.hasRemaining()) {   // a hole at the end: setLength extended the file, reads as zeros
                        into.put((byte) 0);
                    }
                }
            }
        } catch (IOException e) {
            throw StagingArea.ioError("read of " + path, e);
        }
        return into.position() - start;
    }

    /** Truncates or extends (with a hole) the file to {@code newSize}, durably. */
    synchronized void setSize(long newSize, Instant now) throws FsException {
        checkLive();
        if (newSize == size) {
            return;
        }
        if (newSize > size) {
            area.reserve(newSize - size, path);
        }
        try {
            if (newSize < size) {
                bytes.truncate(newSize);
            } else {
                bytes.write(ByteBuffer.allocate(1), newSize - 1);   // extends with a hole
            }
            bytes.force();
        } catch (IOException e) {
            if (newSize > size) {
                area.release(newSize - size);
            }
            throw StagingArea.ioError("resize of " + path, e);
        }
        if (newSize < size) {
            area.release(size - newSize);
        }
        StreamingUpload s = streaming;
        if (s != null) {
            s.changed(Math.min(size, newSize), Math.max(size, newSize), newSize, false);
        }
        size = newSize;
        mtime = now;
        lastWrite = now;
        generation++;
    }

    /** Forces every byte written so far, and the length, to disk (COMMIT). */
    synchronized void force() throws FsException {
        checkLive();
        try {
            bytes.force();
        } catch (IOException e) {
            throw StagingArea.ioError("commit of " + path, e);
        }
    }

    synchronized void setAttributes(Owner newOwner, Instant newMtime) {
        owner = newOwner;
        mtime = requireNonNull(newMtime, "newMtime is null");
        generation++;
    }

    synchronized long size() {
        return size;
    }

    synchronized @Nullable Owner owner() {
        return owner;
    }

    synchronized Instant mtime() {
        return mtime;
    }

    synchronized long generation() {
        return generation;
    }

    /** The last writer closed the file: upload it at {@code at} (unless written again before). */
    synchronized void closed(Instant at) {
        closed = true;
        if (uploading == null) {
            due = at;
        }
    }

    /**
     * How long after its close the file waits before its upload, {@code configured} unless parts already went up
     * while it was written: such an upload is completed under the name it began with whatever happens next (a
     * rename after the close is a server-side copy either way), so waiting buys nothing, and it starts at once.
     */
    java.time.Duration closeDelay(java.time.Duration configured) {
        StreamingUpload s = streaming;
        return s != null && s.begunPath() != null ? java.time.Duration.ZERO : configured;
    }

    /** A COMMIT of a file held open: upload it once it was left alone for the quiet period. */
    synchronized void committed(Instant at) {
        if (due == null && uploading == null) {
            due = at;
        }
    }

    /**
     * Whether the upload should start now; when it should not, postpones it to when it may. A file held open is
     * uploaded only after {@code quiet} without writes, a closed one after {@code delay}; one never closed nor
     * committed once it was left alone for {@code abandoned}.
     */
    synchronized @Nullable Snapshot startUploadIfDue(Instant now, java.time.Duration delay, java.time.Duration quiet,
                                           java.time.Duration abandoned) {
        if (due == null && uploading == null && !now.isBefore(lastWrite.plus(abandoned))) {
            due = now;   // neither closed nor committed, and left alone: its writer may be gone
        }
        if (gone || uploading != null || due == null || now.isBefore(due)) {
            return null;
        }
        Instant earliest = lastWrite.plus(closed ? delay : quiet);
        if (now.isBefore(earliest)) {
            due = earliest;
            return null;
        }
        due = null;
        uploading = new Snapshot(path, generation, renames.get());
        return uploading;
    }

    /** Upload {@code s} was taken by {@link #startUploadIfDue} but not started: the file is due again at {@code at}. */
    synchronized void notStarted(Snapshot s, Instant at) {
        if (uploading == s) {
            uploading = null;
            due = at;
        }
    }

    /**
     * The file as it is now, when it still holds exactly what upload {@code s} sent (bytes, owner, mode, mtime),
     * renamed since or not; null once it changed or went away.
     */
    synchronized @Nullable Snapshot unchangedSince(Snapshot s) {
        return !gone && generation == s.generation() ? new Snapshot(path, generation, renames.get()) : null;
    }

    /** The upload of {@code s} ended; returns whether the file is unchanged since (its bytes are in S3). */
    synchronized boolean uploadEnded(Snapshot s, @Nullable String error, @Nullable Instant retryAt, Instant now) {
        uploading = null;
        if (error != null) {
            failures++;
            lastError = error;
            due = retryAt;
            return false;
        }
        failures = 0;
        lastError = null;
        boolean current = s.generation() == generation && s.path().equals(path) && s.renames() == renames.get() && !gone;
        if (!current && !gone) {
            due = now;   // written or renamed while uploading: the new version goes up too
        }
        return current;
    }

    /** Makes the file due at {@code at} unless it is uploading or due already. */
    synchronized void retryAt(Instant at) {
        if (uploading == null && due == null) {
            due = at;
        }
    }

    synchronized int failures() {
        return failures;
    }

    synchronized @Nullable String lastError() {
        return lastError;
    }

    synchronized boolean uploading() {
        return uploading != null;
    }

    synchronized @Nullable Instant due() {
        return due;
    }

    boolean gone() {
        return gone;
    }

    /** Closes the staged file's bytes; reads and writes fail from now on (the name moved on or went away). */
    synchronized void retire() {
        gone = true;
        try {
            bytes.close();
        } catch (IOException e) {
            // closing only
        }
    }

    private void checkLive() throws FsException {
        if (gone) {
            throw new FsException(FsError.STALE,
                    "staged file " + path + " was uploaded or removed");
        }
    }

    String parentPath() {
        String p = path;
        int slash = p.lastIndexOf('/');
        return slash < 0 ? "" : p.substring(0, slash);
    }

    String name() {
        String p = path;
        return p.substring(p.lastIndexOf('/') + 1);
    }
}
