package io.prefetchd.gateway.fs.staging;

import io.prefetchd.gateway.cache.ExtentCache;
import io.prefetchd.gateway.cache.ObjectVersion;
import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.FileType;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.Owner;
import io.prefetchd.gateway.fs.S3FileSystem;
import io.prefetchd.gateway.s3.ObjectMeta;
import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.s3.ObjectStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * What follows the end of an upload. When S3 has exactly a staged file's bytes under its name, the object, with
 * the owner, mode and mtime the file had, answers for the name from then on, and the staged copy is deleted
 * ({@link #uploaded}). An upload that ended after its file changed leaves the file staged; its next upload follows
 * ({@link #superseded}).
 *
 * <p><b>Read cache.</b> The bytes just uploaded enter the read cache from local disk, so reading the file back
 * downloads nothing; only files up to a quarter of the cache, so one large write does not flush a dataset's
 * working set. A whole object PUT through the S3 endpoint enters it the same way.
 *
 * <p>Thread-safety: runs on the uploader's completion executor. {@link #uploaded}, {@link #superseded} and
 * {@link #moved} are called with the file system's namespace lock held (see {@link WritableFileSystem}), as every
 * namespace change is; the staging area's lock, and under it a staged file's monitor, are taken only inside their
 * own methods. The {@code toCache} methods are called without the namespace lock and take only the staged file's
 * monitor, one block's read at a time.
 */
final class AfterUpload {
    private static final Logger LOG = LoggerFactory.getLogger(AfterUpload.class);

    private final OverlayView view;
    private final ShownAttributes shown;
    private final StagingArea area;
    private final RecentChanges recent;
    private final S3FileSystem base;
    private final ObjectStore store;
    private final ExtentCache cache;

    /** @param cache the read cache {@code base} reads through */
    AfterUpload(OverlayView view, ShownAttributes shown, StagingArea area, RecentChanges recent, S3FileSystem base,
                ObjectStore store, ExtentCache cache) {
        this.view = requireNonNull(view, "view is null");
        this.shown = requireNonNull(shown, "shown is null");
        this.area = requireNonNull(area, "area is null");
        this.recent = requireNonNull(recent, "recent is null");
        this.base = requireNonNull(base, "base is null");
        this.store = requireNonNull(store, "store is null");
        this.cache = requireNonNull(cache, "cache is null");
    }

    /**
     * S3 has what upload {@code s} of staged file {@code f} sent, under the name it was sent as, as {@code object}:
     * if the file still holds exactly that under that name, the object answers for it and the staged file goes.
     * Returns whether it went; a file written, changed or renamed since stays, and its next upload follows.
     */
    boolean uploaded(StagedFile f, StagedFile.Snapshot s, ObjectMeta object) {
        if (area.byPath(f.path) != f || !s.equals(f.unchangedSince(s))) {
            return false;
        }
        Inode inode = new Inode(FileType.REGULAR, f.path);
        Owner owner = f.owner();
        FileAttributes a = shown.object(inode, object, owner);
        // Published before the staged file goes: reads and GETATTRs take no lock, and one that finds the
        // staged file gone must find the object it became (the read-only view may not list it yet). While
        // the file stays staged it is what they see, so these are harmless if it stays (a write landed in
        // between, or the journal fails below).
        view.uploadedAs(f.etag, a);
        recent.present(inode, a);
        base.changed(f.path);
        try {
            // what an earlier upload left under the key, if anything, is replaced: its record goes with the file's
            return area.uploaded(f, s, object.key(), owner == null ? null
                    : new ObjectAttributes(object.etag(), owner, f.mtime()));
        } catch (FsException e) {
            LOG.error("/{} is in S3 but the staging journal could not say so; it stays staged: {}", f.path,
                    e.getMessage());
            return false;
        }
    }

    /**
     * An upload that ended after its file changed. Written again under the same name: its next upload follows.
     * Renamed or removed meanwhile: the object under the old name is a stray, deleted unless the name holds
     * something else now. A file created under that name since, and not uploaded yet, takes the stray as the
     * version it replaces: its upload replaces it (If-Match), and a rename or removal of it deletes it.
     */
    void superseded(StagedFile f, StagedFile.Snapshot s, ObjectMeta object) {
        if (!f.gone() && f.path.equals(s.path())) {
            area.rebase(f, object.etag());
            area.strayDone(base.key(s.path()));   // the file claims the object (renamed away and back, say)
            return;
        }
        String key = base.key(s.path());
        StagedFile again = area.byPath(s.path());
        RecentChanges.Change c = recent.get(s.path());
        if (again != null) {
            if (again.baseEtag == null) {
                area.rebase(again, object.etag());
            }
        } else if (c == null || c.gone()) {   // else something else was put there through the gateway since
            try {
                if (!store.delete(key, object.etag())) {
                    LOG.info("s3://{}/{} was uploaded for a file renamed or removed meanwhile, and has been replaced "
                            + "or deleted in S3 since: left as it is", store.bucket(), key);
                }
                base.changed(s.path());
            } catch (ObjectStoreException e) {
                LOG.warn("s3://{}/{} was uploaded for a file renamed or removed meanwhile and could not be "
                        + "deleted: {}", store.bucket(), key, e.getMessage());
                return;   // a stray recorded as left stays recorded: the next start tries again
            }
        }
        area.strayDone(key);
    }

    /**
     * Staged file {@code f}, {@code now}, was renamed while its bytes went up as {@code sent}, and S3 has them as
     * {@code object} under the old name: copies that server-side to the new name (what a rename of the object would
     * do) and deletes it under the old one, unless the old name holds something else now ({@link #superseded}).
     * Returns the copy, or null when the file changed or moved again meanwhile, or S3 refused the copy: its next
     * upload follows, and the object under the old name is left to {@link #superseded}.
     */
    @Nullable ObjectMeta moved(StagedFile f, StagedFile.Snapshot sent, StagedFile.Snapshot now, ObjectMeta object) {
        if (!now.equals(f.unchangedSince(sent)) || area.byPath(now.path()) != f) {
            return null;
        }
        // the object under the old name is journaled as left already (StagingArea.landed, or the rename after it),
        // unless that journal write failed: then now, so that a crash before the copy and the deletion are done
        // leaves it to the next start
        if (!object.etag().equals(area.pendingStrays().get(object.key()))) {
            try {
                area.strayLeft(object.key(), object.etag());
            } catch (FsException e) {
                LOG.warn("/{}: {}; a crash before its copy ends would leave s3://{}/{} behind", now.path(),
                        e.getMessage(), store.bucket(), object.key());
            }
        }
        ObjectMeta copied;
        try {
            copied = store.copy(object.key(), object.etag(), base.key(now.path()));
        } catch (ObjectStoreException e) {
            LOG.warn("/{} was renamed from /{} while uploaded; the copy to its new name failed, so it is uploaded "
                    + "again: {}", now.path(), sent.path(), e.getMessage());
            return null;   // the uploader deletes the object under the old name, as for any superseded upload
        }
        // the copy is the file's object now: a rename or removal before the bookkeeping ends leaves it as a stray
        area.landed(f, now.path(), copied.key(), copied.etag());
        superseded(f, sent, object);
        return copied;
    }

    /**
     * Puts the bytes just uploaded into the read cache from staged file {@code f}, only while it still holds exactly
     * the uploaded version. Each block is read under the file's monitor with that check, never the whole copy: a
     * READ or GETATTR of the file (an NFS worker) waits for one block's read, not for the file's copy.
     */
    void toCache(StagedFile f, StagedFile.Snapshot s, ObjectMeta object) {
        if (tooLarge(cache, object.size()) || !sameVersion(f, s, object)) {
            return;
        }
        ObjectVersion version = new ObjectVersion(object.key(), object.etag(), object.size());
        try {
            cache.offer(version, (offset, length) -> {
                synchronized (f) {
                    if (!sameVersion(f, s, object)) {   // changed since: the cache fetches the rest of the object
                        throw new IOException("/" + s.path() + " changed after its upload");
                    }
                    return f.read(offset, length);
                }
            });
        } catch (RuntimeException e) {
            LOG.warn("/{} was uploaded but could not enter the read cache: {}", s.path(), e.toString());
        }
    }

    /** Whether {@code f} holds the version its upload {@code s} sent as {@code object} (each change bumps it). */
    private static boolean sameVersion(StagedFile f, StagedFile.Snapshot s, ObjectMeta object) {
        synchronized (f) {
            return !f.gone() && f.generation() == s.generation() && f.size() == object.size();
        }
    }

    /** Puts an object just uploaded from local file {@code content} into the read cache. */
    void toCache(ObjectMeta object, Path content) {
        if (tooLarge(cache, object.size())) {
            return;
        }
        try (FileChannel ch = FileChannel.open(content)) {
            cache.offer(new ObjectVersion(object.key(), object.etag(), object.size()), (offset, length) -> {
                ByteBuffer b = ByteBuffer.allocate(length);
                int n = 0;
                while (b.hasRemaining() && n >= 0) {
                    n = ch.read(b, offset + b.position());
                }
                if (b.hasRemaining()) {
                    throw new IOException(content + " is shorter than the object it was uploaded as");
                }
                return b.array();
            });
        } catch (IOException | RuntimeException e) {
            LOG.warn("/{} was uploaded but could not enter the read cache: {}", object.key(), e.toString());
        }
    }

    /** Whether an object of {@code size} bytes written here is too large to enter {@code cache}: over a quarter. */
    static boolean tooLarge(ExtentCache cache, long size) {
        return size > cache.stats().capacityBytes() / 4;
    }
}
