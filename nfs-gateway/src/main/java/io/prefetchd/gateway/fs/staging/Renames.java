package io.prefetchd.gateway.fs.staging;

import io.prefetchd.gateway.cache.ObjectVersion;
import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.FileType;
import io.prefetchd.gateway.fs.FsError;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.S3FileSystem;
import io.prefetchd.gateway.fs.StoreErrors;
import io.prefetchd.gateway.s3.ObjectMeta;
import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.s3.ObjectStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * RENAME, which S3 does not have. A staged file is renamed in staging (the object it was staged from, if any, is
 * deleted with the old name) and uploaded under its new name only. An object is copied server-side to the new name,
 * then deleted, its cached bytes carried to the copy ({@link CachedCopies}). A directory is every key under it
 * moved the same way ({@link DirectoryMover}), up to {@link StagingSettings#maxRenameKeys()} keys (XDEV beyond, so
 * {@code mv} copies instead), with the staged files and known attributes below it; it is journaled before it
 * starts, so that a rename cut short by a crash is finished at the next start ({@link #finishCutShort}).
 *
 * <p>Every rename takes the last entry out of the old name's directory, which keeps a folder marker then
 * ({@link BucketNamespace#keepDirectory}), and is shown over the read-only view's listings at once
 * ({@link RecentChanges}): the old name gone, the new one present.
 *
 * <p>Called with the file system's namespace lock held (see {@link WritableFileSystem}), which stays held while it
 * asks S3. Takes no lock of its own: the staging area's lock, and under it a staged file's monitor, are taken only
 * inside their own methods.
 */
final class Renames {
    private static final Logger LOG = LoggerFactory.getLogger(Renames.class);

    private final OverlayView view;
    private final BucketNamespace names;
    private final ShownAttributes shown;
    private final StagingArea area;
    private final RecentChanges recent;
    private final S3FileSystem base;
    private final ObjectStore store;
    private final DirectoryMover mover;
    private final CachedCopies cachedCopies;
    private final UploadTargets targets;

    Renames(OverlayView view, BucketNamespace names, ShownAttributes shown, StagingArea area, RecentChanges recent,
            S3FileSystem base, ObjectStore store, DirectoryMover mover, CachedCopies cachedCopies,
            UploadTargets targets) {
        this.view = requireNonNull(view, "view is null");
        this.names = requireNonNull(names, "names is null");
        this.shown = requireNonNull(shown, "shown is null");
        this.area = requireNonNull(area, "area is null");
        this.recent = requireNonNull(recent, "recent is null");
        this.base = requireNonNull(base, "base is null");
        this.store = requireNonNull(store, "store is null");
        this.mover = requireNonNull(mover, "mover is null");
        this.cachedCopies = requireNonNull(cachedCopies, "cachedCopies is null");
        this.targets = requireNonNull(targets, "targets is null");
    }

    /** Renames {@code fromName} in {@code fromDir} to {@code toName} (a valid name) in {@code toDir}, as POSIX does. */
    void rename(Inode fromDir, String fromName, Inode toDir, String toName) throws FsException {
        view.requireDirectory(fromDir);
        view.requireDirectory(toDir);
        Inode source = view.resolve(fromDir, fromName);
        if (source == null) {
            throw new FsException(FsError.NOENT, "no " + fromName + " in /" + fromDir.path());
        }
        String to = toDir.child(toName);
        if (source.path().equals(to)) {
            return;
        }
        Inode target = view.resolve(toDir, toName);
        if (source.isDirectory()) {
            if (to.startsWith(source.path() + "/")) {
                throw new FsException(FsError.INVAL, "cannot move /" + source.path()
                        + " into itself");
            }
            if (target != null && !target.isDirectory()) {
                throw new FsException(FsError.NOTDIR, "/" + to + " is not a directory");
            }
            if (target != null) {
                names.requireEmpty(target);
            }
            renameDirectory(source, new Inode(FileType.DIRECTORY, to));
            return;
        }
        if (target != null && target.isDirectory()) {
            throw new FsException(FsError.ISDIR, "/" + to + " is a directory");
        }
        StagedFile f = area.byPath(source.path());
        if (f != null) {
            renameStaged(f, source, new Inode(FileType.REGULAR, to));
        } else {
            renameObject(source, new Inode(FileType.REGULAR, to));
        }
    }

    private void renameStaged(StagedFile f, Inode from, Inode to) throws FsException {
        if (f.baseEtag != null) {
            names.keepDirectory(new Inode(FileType.DIRECTORY, from.parentPath()), from.name());
            names.deleteObject(from.path());   // the object it was staged from goes with the old name
        }
        area.rename(f, to.path());
        area.forgetKnown(from.path());
        recent.gone(from);
        base.changed(from.path());
        base.changed(to.path());
    }

    /** Renames an object in S3; the new name is held against the gateway's uploads until the copy is done. */
    private void renameObject(Inode from, Inode to) throws FsException {
        UploadTargets.Claim held = targets.hold(base.key(to.path()), "the rename of /" + from.path() + " to /"
                + to.path());
        try {
            copyObject(from, to);
        } finally {
            targets.release(held);
        }
    }

    private void copyObject(Inode from, Inode to) throws FsException {
        FileAttributes a = view.getattr(from);
        names.keepDirectory(new Inode(FileType.DIRECTORY, from.parentPath()), from.name());
        ObjectMeta copied;
        try {
            String etag = requireNonNull(a.etag(), "a file's attributes carry its etag");
            String fromKey = base.key(from.path());
            area.settleStray(base.key(to.path()), store);
            copied = store.copy(fromKey, etag, base.key(to.path()));
            cachedCopies.copied(new ObjectVersion(fromKey, etag, a.size()), copied);
            StagedFile replaced = area.byPath(to.path());
            if (replaced != null) {
                area.dropOverwritten(replaced);
            }
            if (!store.delete(fromKey, etag)) {
                LOG.warn("s3://{}/{} was replaced or deleted in S3 while it was renamed to {}: the version renamed "
                        + "is there, and what is under the old name now stays", store.bucket(), fromKey, copied.key());
            }
            area.strayDone(copied.key());   // what an earlier upload left there, if anything, is replaced
        } catch (ObjectStoreException e) {
            throw StoreErrors.toFs(e);
        }
        ObjectAttributes k = area.known(from.path());
        area.forgetKnown(from.path());
        if (k != null) {
            area.setKnown(to.path(), new ObjectAttributes(copied.etag(), k.owner(), k.mtime()));
        } else {
            area.forgetKnown(to.path());
        }
        recent.gone(from);
        recent.present(to, shown.object(to, copied, k != null ? k.owner() : null));
        base.changed(from.path());
        base.changed(to.path());
    }

    /**
     * Renames a directory in S3; the keys under the new name are held against the gateway's uploads until the move
     * is done, so that a staged file moved with the directory never lands before the object it replaces is copied.
     */
    private void renameDirectory(Inode from, Inode to) throws FsException {
        UploadTargets.Claim held = targets.holdUnder(base.key(to.path()) + "/", "the rename of /" + from.path()
                + " to /" + to.path());
        try {
            moveDirectory(from, to);
        } finally {
            targets.release(held);
        }
    }

    private void moveDirectory(Inode from, Inode to) throws FsException {
        String fromPrefix = base.key(from.path()) + "/";
        String toPrefix = base.key(to.path()) + "/";
        List<ObjectMeta> keys;
        try {
            keys = mover.keysWithinLimit(fromPrefix);
        } catch (ObjectStoreException e) {
            throw StoreErrors.toFs(e);
        }
        FileAttributes a = view.getattr(from);
        names.keepDirectory(new Inode(FileType.DIRECTORY, from.parentPath()), from.name());
        area.dirRenameBegins(from.path(), to.path());
        moveStagedAndKnown(from.path(), to.path());
        try {
            mover.move(withoutStrays(keys, fromPrefix, toPrefix), fromPrefix, toPrefix);
        } catch (ObjectStoreException e) {
            LOG.warn("rename of /{} to /{} stopped after an S3 error; it is finished at the next start: {}",
                    from.path(), to.path(), e.getMessage());
            throw StoreErrors.toFs(e);
        }
        area.dirRenameDone(from.path());
        recent.gone(from);
        recent.present(to, shown.directory(to, a.change(), a.mtime(), a.owner()));
        base.changed(from.path());
        base.changed(to.path());
    }

    /**
     * {@code keys} without the objects uploads left there for files renamed or removed meanwhile (strays): those are
     * deleted (while still that version), not moved, and so is one left under a name the move is about to write.
     */
    private List<ObjectMeta> withoutStrays(List<ObjectMeta> keys, String fromPrefix, String toPrefix) {
        Map<String, String> strays = area.pendingStrays();
        if (strays.isEmpty()) {
            return keys;
        }
        List<ObjectMeta> out = new java.util.ArrayList<>(keys.size());
        for (ObjectMeta m : keys) {
            area.settleStray(toPrefix + m.key().substring(fromPrefix.length()), store);
            if (m.etag().equals(strays.get(m.key()))) {
                area.settleStray(m.key(), store);
            } else {
                out.add(m);
            }
        }
        return out;
    }

    private void moveStagedAndKnown(String from, String to) throws FsException {
        for (StagedFile f : area.under(from)) {
            area.rename(f, to + f.path.substring(from.length()));
        }
        ObjectAttributes dirAttrs = area.known(from);
        if (dirAttrs != null) {
            area.setKnown(to, dirAttrs);
            area.setKnown(from, null);
        }
    }

    /**
     * Finishes the directory renames a crash cut short; called once, before the file system serves. One that
     * fails still is tried again at the next start.
     */
    void finishCutShort() {
        for (Map.Entry<String, String> d : area.pendingDirRenames().entrySet()) {
            try {
                moveStagedAndKnown(d.getKey(), d.getValue());
                String fromPrefix = base.key(d.getKey()) + "/";
                String toPrefix = base.key(d.getValue()) + "/";
                mover.resume(fromPrefix, toPrefix, keys -> withoutStrays(keys, fromPrefix, toPrefix));
                area.dirRenameDone(d.getKey());
            } catch (FsException | ObjectStoreException e) {
                LOG.error("the rename of /{} to /{} could not be finished (tried again at the next start): {}",
                        d.getKey(), d.getValue(), e.getMessage());
            }
        }
    }
}
