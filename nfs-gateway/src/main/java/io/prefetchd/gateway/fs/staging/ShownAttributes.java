package io.prefetchd.gateway.fs.staging;

import io.prefetchd.gateway.fs.DirListing;
import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.FileType;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.NewAttributes;
import io.prefetchd.gateway.fs.Owner;
import io.prefetchd.gateway.s3.ObjectMeta;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * The attributes shown for names the gateway wrote, and their change attribute. A staged file's change attribute
 * is new for every version of its bytes or attributes (its id and generation) and on every start of the gateway,
 * so a client never keeps pages cached from another version; an object's follows its ETag and size.
 *
 * <p><b>Known attributes.</b> The owner, group, mode and mtime of a file or directory written through the gateway
 * are kept in the journal ({@link StagingArea#known}) and shown in listings without a HEAD; they are the object's
 * user metadata too (see {@link ObjectAttributes}). What the gateway knows of a version (set by SETATTR after its
 * upload, or uploaded with it) wins over what a listing or an earlier answer showed.
 *
 * <p>Thread-safe: stateless apart from the staging area it reads, whose maps are concurrent; a staged file's
 * attributes are read under its monitor, all at once.
 */
final class ShownAttributes {
    /** The size shown for every directory. */
    private static final long DIR_SIZE = 4096;

    private final StagingArea area;
    private final ToLongFunction<Inode> fileIds;

    /** @param fileIds the file ids (inode numbers) of the read-only view */
    ShownAttributes(StagingArea area, ToLongFunction<Inode> fileIds) {
        this.area = requireNonNull(area, "area is null");
        this.fileIds = requireNonNull(fileIds, "fileIds is null");
    }

    /** The attributes of staged file {@code f} as they are now. */
    FileAttributes staged(StagedFile f) {
        Inode inode = new Inode(FileType.REGULAR, f.path);
        long change;
        long size;
        Instant mtime;
        Owner owner;
        synchronized (f) {
            size = f.size();
            mtime = f.mtime();
            owner = f.owner();
            long h = (f.id * 0x9E3779B97F4A7C15L) ^ (f.generation() + 1) * 0xC2B2AE3D27D4EB4FL ^ area.boots();
            change = (h & Long.MAX_VALUE) == 0 ? 1 : h & Long.MAX_VALUE;
        }
        return new FileAttributes(FileType.REGULAR, size, fileIds.applyAsLong(inode), change, mtime, f.etag, owner);
    }

    /** The attributes of file {@code inode} when it is object {@code m}, with {@code owner} (null: none known). */
    FileAttributes object(Inode inode, ObjectMeta m, @Nullable Owner owner) {
        long h = 1125899906842597L;
        for (int i = 0; i < m.etag().length(); i++) {
            h = 31 * h + m.etag().charAt(i);
        }
        h = (h ^ (m.size() * 0x9E3779B97F4A7C15L)) & Long.MAX_VALUE;
        return new FileAttributes(FileType.REGULAR, m.size(), fileIds.applyAsLong(inode), h == 0 ? 1 : h,
                m.lastModified(), m.etag(), owner);
    }

    /** The attributes of directory {@code dir} with the change attribute {@code change}. */
    FileAttributes directory(Inode dir, long change, Instant mtime, @Nullable Owner owner) {
        return new FileAttributes(FileType.DIRECTORY, DIR_SIZE, fileIds.applyAsLong(dir), change, mtime, null, owner);
    }

    /** The attributes of directory {@code dir} as created now, empty. */
    FileAttributes emptyDirectory(Inode dir, Instant mtime, Owner owner) {
        return directory(dir, DirListing.verifierOf(List.of()), mtime, owner);
    }

    /** {@code a} with the owner the journal knows for {@code path} (for a file: of that very version). */
    FileAttributes withKnownOwner(String path, FileAttributes a) {
        ObjectAttributes k = area.known(path);
        if (k == null || a.type() == FileType.REGULAR && !Objects.equals(k.etag(), a.etag())) {
            return a;
        }
        return new FileAttributes(a.type(), a.size(), a.fileId(), a.change(), k.mtime() != null ? k.mtime() : a.mtime(),
                a.etag(), k.owner() != null ? k.owner() : a.owner());
    }

    /** {@code o} with what {@code a} sets of the uid, gid and mode (permission bits only) in place of its own. */
    static Owner changed(Owner o, NewAttributes a) {
        return new Owner(a.uid().orElse(o.uid()), a.gid().orElse(o.gid()), a.mode().orElse(o.mode()) & 07777);
    }
}
