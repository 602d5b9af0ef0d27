package io.prefetchd.gateway.fs.staging;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.prefetchd.gateway.fs.DirEntry;
import io.prefetchd.gateway.fs.DirListing;
import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.FileType;
import io.prefetchd.gateway.fs.FsError;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.ReadResult;
import io.prefetchd.gateway.fs.S3FileSystem;
import io.prefetchd.gateway.fs.VirtualFileSystem;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * What clients see of the bucket: the read-only view ({@link S3FileSystem}) with the staged files, the gateway's
 * {@link RecentChanges} and the known attributes ({@link ShownAttributes}) laid over it. A staged file answers for
 * its name at once, with its current size and bytes; a name changed here shows its new state even where the
 * read-only view still serves an older listing; a name below a folder renamed or removed here is STALE.
 *
 * <p><b>Listings.</b> A directory with anything laid over it is listed as the merge of the read-only view's listing
 * and what is laid over it, with a verifier (and change attribute) of its own. Merged listings handed out are held
 * for a while by directory and verifier, so READDIR cookies stay valid while a client pages through one.
 *
 * <p><b>Reads across an upload.</b> A file's version is pinned by the ETag it was shown with; a staged file shows
 * an ETag of its own. When its upload ends the staged copy goes, and a read pinned to that ETag reads the object it
 * became ({@link #uploadedAs}), which the read-only view may not list yet.
 *
 * <p>Thread-safe: takes no lock of its own; everything it reads is concurrent, and a staged file's bytes and
 * attributes are read under its monitor. Reads do not wait for namespace changes.
 */
final class OverlayView {
    private final S3FileSystem base;
    private final StagingArea area;
    private final RecentChanges recent;
    private final ShownAttributes shown;
    /**
     * Merged listings handed out, by directory and verifier, so READDIR cookies stay valid while paging; weighed in
     * bytes, within a budget as large as the read-only view's for its listings.
     */
    private final Cache<String, DirListing> snapshots;
    /** What a staged file became in S3, by the ETag it was shown with while staged: reads pinned to it go on. */
    private final Cache<String, FileAttributes> uploadedAs;

    OverlayView(S3FileSystem base, StagingArea area, RecentChanges recent, ShownAttributes shown, Clock clock) {
        this.base = requireNonNull(base, "base is null");
        this.area = requireNonNull(area, "area is null");
        this.recent = requireNonNull(recent, "recent is null");
        this.shown = requireNonNull(shown, "shown is null");
        Ticker ticker = () -> TimeUnit.MILLISECONDS.toNanos(clock.millis());
        long budget = base.listingCacheBytes();
        this.snapshots = Caffeine.newBuilder().ticker(ticker).expireAfterAccess(Duration.ofMinutes(10))
                .maximumWeight(budget).weigher((String key, DirListing l) -> DirListing.cacheWeight(
                        l.retainedBytes(), budget)).build();
        this.uploadedAs = Caffeine.newBuilder().ticker(ticker).expireAfterWrite(Duration.ofHours(1))
                .maximumSize(100_000).build();
    }

    FileAttributes getattr(Inode inode) throws FsException {
        if (!inode.isDirectory()) {
            StagedFile f = area.byPath(inode.path());
            if (f != null) {
                return shown.staged(f);
            }
        }
        RecentChanges.Change c = recent.get(inode.path());
        if (c == null && recent.ancestorGone(inode.path())) {
            throw new FsException(FsError.STALE, "a folder above /" + inode.path() + " was renamed or "
                    + "removed");
        }
        if (c != null) {
            if (c.gone() || c.inode().type() != inode.type()) {
                throw new FsException(FsError.STALE, "/" + inode.path() + " no longer exists");
            }
            FileAttributes a = shown.withKnownOwner(inode.path(), c.present());
            return inode.isDirectory() ? withOverlayChange(inode, a) : a;
        }
        FileAttributes a = shown.withKnownOwner(inode.path(), base.getattr(inode));
        return inode.isDirectory() ? withOverlayChange(inode, a) : a;
    }

    /**
     * Staged files and recent changes are held here; anything else is the base's to know, and so is a directory's
     * listing, which its change attribute comes from.
     */
    CompletableFuture<Void> attributesKnown(Inode inode) {
        if (!inode.isDirectory() && (area.byPath(inode.path()) != null || recent.get(inode.path()) != null)) {
            return VirtualFileSystem.KNOWN;
        }
        return base.attributesKnown(inode);
    }

    CompletableFuture<Void> nameKnown(Inode dir, String name) {
        if (!dir.isDirectory()) {
            return VirtualFileSystem.KNOWN;
        }
        String path = dir.child(name);
        if (area.byPath(path) != null || recent.get(path) != null) {
            return VirtualFileSystem.KNOWN;
        }
        return base.nameKnown(dir, name);
    }

    Inode lookup(Inode dir, String name) throws FsException {
        if (!dir.isDirectory()) {
            throw new FsException(FsError.NOTDIR, "/" + dir.path() + " is not a directory");
        }
        String path = dir.child(name);
        if (area.byPath(path) != null) {
            return new Inode(FileType.REGULAR, path);
        }
        RecentChanges.Change c = recent.get(path);
        if (c != null) {
            if (c.gone()) {
                throw new FsException(FsError.NOENT, "no " + name + " in /" + dir.path());
            }
            return c.inode();
        }
        RecentChanges.Change d = dir.isRoot() ? null : recent.get(dir.path());
        if (d != null && d.gone() || d == null && !dir.isRoot() && recent.ancestorGone(dir.path())) {
            throw new FsException(FsError.STALE, "directory /" + dir.path() + " no longer exists");
        }
        return base.lookup(dir, name);
    }

    /** The name in {@code dir}, or null when there is none. */
    @Nullable Inode resolve(Inode dir, String name) throws FsException {
        try {
            return lookup(dir, name);
        } catch (FsException e) {
            if (e.error() == FsError.NOENT) {
                return null;
            }
            throw e;
        }
    }

    /** NOTDIR unless {@code dir} is a directory, STALE when it is gone. */
    void requireDirectory(Inode dir) throws FsException {
        if (!dir.isDirectory()) {
            throw new FsException(FsError.NOTDIR, "/" + dir.path() + " is not a directory");
        }
        getattr(dir);
    }

    DirListing list(Inode dir, long verifier) throws FsException {
        if (verifier != 0) {
            DirListing held = snapshots.getIfPresent(dir.path() + "\0" + verifier);
            if (held != null) {
                return held;
            }
        }
        DirListing listed = base.list(dir, verifier);
        DirListing merged = merge(dir, listed);
        if (merged != listed) {
            snapshots.put(dir.path() + "\0" + merged.verifier(), merged);
        }
        return merged;
    }

    /** {@code listed} with the staged files, the recent changes and the known owners of {@code dir} laid over it. */
    private DirListing merge(Inode dir, DirListing listed) {
        List<RecentChanges.Change> changes = recent.children(dir.path());
        List<StagedFile> staged = new ArrayList<>(area.children(dir.path()));
        boolean knows = area.mayKnowChildrenOf(dir.path());
        if (changes.isEmpty() && staged.isEmpty() && !knows) {
            return listed;
        }
        boolean owners = false;
        TreeMap<String, DirEntry> byName = new TreeMap<>(DirListing.NAME_ORDER);
        for (DirEntry e : listed.entries()) {
            FileAttributes a = knows ? shown.withKnownOwner(e.inode().path(), e.attributes()) : e.attributes();
            owners |= a != e.attributes();
            byName.put(e.name(), a == e.attributes() ? e : new DirEntry(e.name(), e.inode(), a));
        }
        if (changes.isEmpty() && staged.isEmpty() && !owners) {
            return listed;
        }
        for (RecentChanges.Change c : changes) {
            if (c.gone()) {
                byName.remove(c.inode().name());
            } else {
                byName.put(c.inode().name(), new DirEntry(c.inode().name(), c.inode(), c.present()));
            }
        }
        for (StagedFile f : staged) {
            String name = f.name();
            byName.put(name, new DirEntry(name, new Inode(FileType.REGULAR, f.path), shown.staged(f)));
        }
        List<DirEntry> entries = new ArrayList<>(byName.values());
        long v = changes.isEmpty() && staged.isEmpty() ? listed.verifier() : DirListing.verifierOf(entries);
        return new DirListing(v, entries);
    }

    /**
     * What {@code dir} holds now, as READDIR would list it, without holding the listing for paging: for the
     * namespace's own checks and change attributes. (Every create, remove and rename asks for its directory's
     * change attribute before and after, and a removal or rename checks the directory's entries; holding each of
     * those would keep a copy of the whole directory per change, quadratic in the files written into it.)
     */
    DirListing current(Inode dir) throws FsException {
        return merge(dir, base.list(dir, 0));
    }

    /** A directory's attributes with the change attribute of its merged listing, when anything is laid over it. */
    private FileAttributes withOverlayChange(Inode dir, FileAttributes a) throws FsException {
        if (area.children(dir.path()).isEmpty() && recent.children(dir.path()).isEmpty()) {
            return a;
        }
        long v = current(dir).verifier();
        return new FileAttributes(a.type(), a.size(), a.fileId(), v, a.mtime(), a.etag(), a.owner());
    }

    /** Heap the merged listings held for READDIR paging take. */
    long heldSnapshotBytes() {
        snapshots.cleanUp();
        return snapshots.asMap().values().stream().mapToLong(DirListing::retainedBytes).sum();
    }

    ReadResult read(Inode file, FileAttributes version, long offset, int count) throws FsException {
        Source s = source(file, version, offset, count);
        return s.staged() != null ? s.staged() : base.read(file, s.objectVersion(), offset, count);
    }

    /** As {@link #read}; a staged file's bytes are read at once, an object's without waiting on S3. */
    CompletableFuture<ReadResult> readAsync(Inode file, FileAttributes version, long offset, int count) {
        Source s;
        try {
            s = source(file, version, offset, count);
        } catch (FsException e) {
            return CompletableFuture.failedFuture(e);
        }
        return s.staged() != null ? CompletableFuture.completedFuture(s.staged())
                : base.readAsync(file, s.objectVersion(), offset, count);
    }

    /** What a read is served from: the staged bytes already read, or else the object version to read. */
    private record Source(@Nullable ReadResult staged, @Nullable FileAttributes object) {
        FileAttributes objectVersion() {
            return requireNonNull(object, "a read not served from staged bytes has an object version");
        }
    }

    private Source source(Inode file, FileAttributes version, long offset, int count) throws FsException {
        StagedFile f = area.byPath(file.path());
        if (f != null && !f.gone()) {
            try {
                return new Source(new ReadResult(f.read(offset, count), false, 0), null);
            } catch (FsException e) {
                if (!f.gone()) {
                    throw e;
                }   // uploaded meanwhile: read the object
            }
        }
        FileAttributes v = version;
        if (version.etag() != null && version.etag().startsWith("staged-")) {
            v = uploadedAs.getIfPresent(version.etag());
            if (v == null) {
                v = getattr(file);
                StagedFile again = area.byPath(file.path());
                if (again != null) {
                    return new Source(new ReadResult(again.read(offset, count), false, 0), null);
                }
            }
        }
        return new Source(null, v);
    }

    /**
     * The staged file shown with ETag {@code stagedEtag} is in S3 as {@code object}: reads pinned to it read that.
     * Published before the staged file goes, so that a read finding it gone finds the object.
     */
    void uploadedAs(String stagedEtag, FileAttributes object) {
        uploadedAs.put(stagedEtag, object);
    }
}
