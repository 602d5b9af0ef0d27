package io.prefetchd.gateway.fs.staging;

import io.prefetchd.gateway.fs.DirEntry;
import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.FileType;
import io.prefetchd.gateway.fs.FsError;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.Owner;
import io.prefetchd.gateway.fs.StoreErrors;
import io.prefetchd.gateway.s3.ListPage;
import io.prefetchd.gateway.s3.ObjectMeta;
import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.s3.ObjectStoreException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * Names as S3 holds them: a file is an object; a directory is a folder marker ({@code dir/}, an empty object with the
 * directory's owner, mode and mtime as user metadata, see {@link ObjectAttributes}) put by MKDIR, or only the prefix
 * of the keys under it. A directory without a marker vanishes with its last key, so a change that takes the last
 * entry out of a directory puts the directory's marker first ({@link #keepDirectory}), and a PUT of a key makes
 * the folders above it exist ({@link #foldersAbove}). Each change is made in S3 before it returns, and S3's errors
 * come out as their NFS meaning.
 *
 * <p>Called with the file system's namespace lock held (see {@link WritableFileSystem}), so that what it finds in
 * the listings and in S3 stays true until the change that asked is made; {@link #checkName}, which reads nothing,
 * needs no lock. Takes no lock of its own.
 */
final class BucketNamespace {
    private static final int MAX_NAME_BYTES = 255;

    private final OverlayView view;
    private final ObjectStore store;
    private final Function<String, String> keyOf;
    private final Path emptyFile;
    private final Owner defaultDirOwner;

    /**
     * @param keyOf the key of a path (the read-only view's)
     * @param emptyFile an empty local file, the body of folder markers
     * @param defaultDirOwner owner written for a directory that shows none
     */
    BucketNamespace(OverlayView view, ObjectStore store, Function<String, String> keyOf, Path emptyFile,
                    Owner defaultDirOwner) {
        this.view = requireNonNull(view, "view is null");
        this.store = requireNonNull(store, "store is null");
        this.keyOf = requireNonNull(keyOf, "keyOf is null");
        this.emptyFile = requireNonNull(emptyFile, "emptyFile is null");
        this.defaultDirOwner = requireNonNull(defaultDirOwner, "defaultDirOwner is null");
    }

    /** NOTEMPTY unless {@code dir} has no entries, in the merged listing and in S3. */
    void requireEmpty(Inode dir) throws FsException {
        if (!view.current(dir).entries().isEmpty()) {
            throw new FsException(FsError.NOTEMPTY, "/" + dir.path() + " is not empty");
        }
        String marker = markerOf(dir.path());
        try {
            ListPage page = store.list(marker, null, null, 2);
            for (ObjectMeta m : page.objects()) {
                if (!m.key().equals(marker)) {
                    throw new FsException(FsError.NOTEMPTY, "/" + dir.path() + " is not empty in S3");
                }
            }
        } catch (ObjectStoreException e) {
            throw StoreErrors.toFs(e);
        }
    }

    /**
     * Keeps {@code dir} in S3 when {@code leaving} is its last entry: a directory that exists only because keys
     * are under it would vanish with them, so it gets a folder marker first.
     */
    void keepDirectory(Inode dir, String leaving) throws FsException {
        if (dir.isRoot()) {
            return;
        }
        for (DirEntry e : view.current(dir).entries()) {
            if (!e.name().equals(leaving)) {
                return;
            }
        }
        try {
            if (store.head(markerOf(dir.path())).isPresent()) {
                return;
            }
        } catch (ObjectStoreException e) {
            throw StoreErrors.toFs(e);
        }
        FileAttributes a = view.getattr(dir);
        putMarker(dir.path(), a.owner() != null ? a.owner() : defaultDirOwner, a.mtime());
    }

    /** Puts the folder marker of directory {@code path}, with {@code owner} and {@code mtime}. */
    void putMarker(String path, Owner owner, Instant mtime) throws FsException {
        String key = markerOf(path);
        try {
            store.upload(key, emptyFile, ObjectAttributes.metadata(owner, mtime, true), false, null).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof ObjectStoreException ose ? StoreErrors.toFs(ose)
                    : new FsException(FsError.IO, "PUT of " + key + " failed: " + e.getCause(), e);
        } catch (ObjectStoreException e) {
            throw StoreErrors.toFs(e);
        }
    }

    /** Deletes the folder marker of directory {@code path}. */
    void deleteMarker(String path) throws FsException {
        delete(markerOf(path));
    }

    /** Deletes the object of file {@code path}. */
    void deleteObject(String path) throws FsException {
        delete(keyOf.apply(path));
    }

    private void delete(String key) throws FsException {
        try {
            store.delete(key);
        } catch (ObjectStoreException e) {
            throw StoreErrors.toFs(e);
        }
    }

    /**
     * The folders above {@code file} that do not exist yet, outermost first (a PUT of its key makes them exist, as
     * prefixes), after checking that every name in its path is valid, that the names above it are folders (NOTDIR
     * otherwise) and that it is not one (ISDIR).
     */
    List<Inode> foldersAbove(Inode file) throws FsException {
        String[] parts = file.path().split("/", -1);
        for (String part : parts) {
            checkName(part);
        }
        List<Inode> missing = new ArrayList<>();
        Inode dir = Inode.ROOT;
        for (int i = 0; i < parts.length - 1; i++) {
            Inode next = new Inode(FileType.DIRECTORY, dir.child(parts[i]));
            if (missing.isEmpty()) {
                Inode found = view.resolve(dir, parts[i]);
                if (found != null && !found.isDirectory()) {
                    throw new FsException(FsError.NOTDIR, "/" + found.path() + " is a file");
                }
                if (found == null) {
                    missing.add(next);
                }
            } else {
                missing.add(next);
            }
            dir = next;
        }
        if (missing.isEmpty()) {
            Inode found = view.resolve(dir, file.name());
            if (found != null && found.isDirectory()) {
                throw new FsException(FsError.ISDIR, "/" + file.path() + " is a directory");
            }
        }
        return missing;
    }

    /** BADNAME or NAMETOOLONG unless {@code name} is one name S3 keys can hold here. */
    static void checkName(String name) throws FsException {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0
                || name.indexOf('\0') >= 0) {
            throw new FsException(FsError.BADNAME, "'" + name + "' is not a name S3 keys can hold here");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            throw new FsException(FsError.NAMETOOLONG, "name longer than 255 bytes");
        }
    }

    private String markerOf(String path) {
        return keyOf.apply(path) + "/";
    }
}
