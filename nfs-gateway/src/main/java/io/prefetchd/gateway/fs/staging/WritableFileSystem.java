package io.prefetchd.gateway.fs.staging;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.prefetchd.gateway.cache.ExtentCache;
import io.prefetchd.gateway.cache.ObjectVersion;
import io.prefetchd.gateway.fs.CreateHow;
import io.prefetchd.gateway.fs.DirEntry;
import io.prefetchd.gateway.fs.DirListing;
import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.FileType;
import io.prefetchd.gateway.fs.FsError;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.FsStats;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.NewAttributes;
import io.prefetchd.gateway.fs.Owner;
import io.prefetchd.gateway.fs.ReadResult;
import io.prefetchd.gateway.fs.S3FileSystem;
import io.prefetchd.gateway.fs.StoreErrors;
import io.prefetchd.gateway.fs.VirtualFileSystem;
import io.prefetchd.gateway.fs.WriteResult;
import io.prefetchd.gateway.s3.ListPage;
import io.prefetchd.gateway.s3.ObjectMeta;
import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.s3.ObjectStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * The read-write file system: the read-only view of the bucket ({@link S3FileSystem}) with the files being written
 * laid over it. See docs/SEMANTICS.md, "Writes".
 *
 * <p><b>Where written bytes live.</b> A created or written file is staged ({@link StagingArea}): LOOKUP, GETATTR,
 * READDIR and READ see it at once, with its current size and bytes. Writing an existing object first copies it
 * into staging (all of it, through the read cache), unless it is truncated to zero. When its last writer closes it
 * (or it is committed and left alone while held open), the {@link Uploader} makes it one object; then the staged
 * copy is deleted and the object, with the owner, mode and mtime the file had, answers for the name.
 *
 * <p><b>Namespace changes</b> of objects already in S3 go to S3 before they answer: a directory is a folder marker
 * ({@code dir/}) put by MKDIR; REMOVE deletes the object (or the marker of an empty directory); RENAME of an object
 * is a server-side copy then a delete, and of a directory one per key under it, up to
 * {@link StagingSettings#maxRenameKeys()} (XDEV beyond, so {@code mv} copies instead), journaled so that
 * a rename cut short by a crash is finished at the next start. The read-only view's cached listings may be older
 * than those changes for a while; {@link RecentChanges} shows the gateway's own changes over them meanwhile.
 *
 * <p><b>Attributes.</b> The owner, group, mode and mtime of a file or directory written through the gateway are
 * kept in the journal and shown in listings without a HEAD; they are the object's user metadata too (see
 * {@link ObjectAttributes}). SETATTR of those on an object already uploaded is kept by the gateway and reaches S3
 * with the object's next upload.
 *
 * <p>Thread-safe: namespace changes (create, remove, rename, mkdir, attribute changes, the end of an upload) are
 * serialized on one lock, and hold it while they ask S3; reads and writes of file bytes take only their file's
 * lock.
 */
public final class WritableFileSystem implements VirtualFileSystem, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WritableFileSystem.class);
    private static final int COPY_CHUNK = 1 << 20;
    private static final long DIR_SIZE = 4096;
    private static final int MAX_NAME_BYTES = 255;

    private final S3FileSystem base;
    private final ObjectStore store;
    private final ExtentCache cache;
    private final ToLongFunction<Inode> fileIds;
    private final StagingSettings settings;
    private final Owner defaultFileOwner;
    private final Owner defaultDirOwner;
    private final Clock clock;
    private final StagingArea area;
    private final Uploader uploader;
    private final DirectoryMover mover;
    private final RecentChanges recent;
    private final Path emptyFile;
    private final long writeVerifier;
    private final Object namespace = new Object();
    /** Merged listings handed out, by directory and verifier, so READDIR cookies stay valid while paging. */
    private final Cache<String, DirListing> snapshots;
    /** What a staged file became in S3, by the ETag it was shown with while staged: reads pinned to it go on. */
    private final Cache<String, FileAttributes> uploadedAs;

    private WritableFileSystem(S3FileSystem base, ObjectStore store, ExtentCache cache, ToLongFunction<Inode> fileIds,
                               StagingSettings settings, Owner defaultFileOwner, Owner defaultDirOwner,
                               Duration listingHorizon, Clock clock, StagingArea area, Executor completions,
                               MeterRegistry meters) {
        this.base = base;
        this.store = store;
        this.cache = cache;
        this.fileIds = fileIds;
        this.settings = settings;
        this.defaultFileOwner = defaultFileOwner;
        this.defaultDirOwner = defaultDirOwner;
        this.clock = clock;
        this.area = area;
        this.mover = new DirectoryMover(store, settings.maxRenameKeys(), settings.dir().resolve("empty"));
        this.recent = new RecentChanges(clock, listingHorizon);
        this.emptyFile = settings.dir().resolve("empty");
        this.writeVerifier = verifierOf(area.boots(), clock.millis());
        Ticker ticker = () -> TimeUnit.MILLISECONDS.toNanos(clock.millis());
        this.snapshots = Caffeine.newBuilder().ticker(ticker).expireAfterAccess(Duration.ofMinutes(10))
                .maximumSize(10_000).build();
        this.uploadedAs = Caffeine.newBuilder().ticker(ticker).expireAfterWrite(Duration.ofHours(1))
                .maximumSize(100_000).build();
        this.uploader = new Uploader(area, store, base::key, settings, defaultFileOwner, clock, new Uploader.Outcome() {
            @Override
            public void uploaded(StagedFile file, StagedFile.Snapshot snapshot, ObjectMeta object) {
                offerToCache(file, snapshot, object);
                afterUpload(file, object);
            }

            @Override
            public void superseded(StagedFile file, StagedFile.Snapshot snapshot, ObjectMeta object) {
                afterStaleUpload(file, snapshot, object);
            }
        }, completions, meters);
        if (settings.streamingPartSize() > 0) {
            area.streamWith(new StreamingUpload.Context(store, area, base::key, settings.streamingPartSize(),
                    new Semaphore(streamingParts(settings.streamingPartSize())), defaultFileOwner, completions, meters));
        }
        Gauge.builder("prefetchd.staging.bytes", area, StagingArea::usedBytes).baseUnit("bytes")
                .description("bytes of written files staged on local disk").register(meters);
        Gauge.builder("prefetchd.staging.capacity", area, StagingArea::capacityBytes).baseUnit("bytes")
                .description("the staging area's budget (prefetchd.write.staging-size)").register(meters);
        Gauge.builder("prefetchd.uploads.pending", area, a -> a.all().size())
                .description("staged files S3 does not have yet").register(meters);
        Gauge.builder("prefetchd.uploads.oldest", this, w -> w.oldestPending().toMillis() / 1000.0).baseUnit("seconds")
                .description("how long the oldest staged file has waited for S3").register(meters);
    }

    /**
     * Opens the staging area of {@code settings} (replaying its journal, finishing directory renames a crash cut
     * short) and lays it over {@code base}. Call {@link #runUploads} every few hundred milliseconds.
     *
     * @param cache the read cache {@code base} reads through: uploaded files enter it from staging
     * @param fileIds the same file ids (inode numbers) {@code base} uses
     * @param defaultFileOwner owner shown and written for files that carry none
     * @param listingHorizon how long the read-only view may serve a listing older than a change made here
     * @param completions where what follows an upload runs (one thread is enough)
     */
    public static WritableFileSystem open(S3FileSystem base, ObjectStore store, ExtentCache cache,
                                          ToLongFunction<Inode> fileIds,
                                          StagingSettings settings, Owner defaultFileOwner, Owner defaultDirOwner,
                                          Duration listingHorizon, Clock clock, Executor completions,
                                          MeterRegistry meters) {
        requireNonNull(base, "base is null");
        requireNonNull(store, "store is null");
        requireNonNull(cache, "cache is null");
        requireNonNull(fileIds, "fileIds is null");
        requireNonNull(settings, "settings is null");
        requireNonNull(defaultFileOwner, "defaultFileOwner is null");
        requireNonNull(defaultDirOwner, "defaultDirOwner is null");
        requireNonNull(listingHorizon, "listingHorizon is null");
        requireNonNull(clock, "clock is null");
        requireNonNull(completions, "completions is null");
        requireNonNull(meters, "meters is null");
        StagingArea area = StagingArea.open(settings.dir(), settings.capacityBytes(), clock);
        try {
            Path empty = settings.dir().resolve("empty");
            if (!Files.exists(empty)) {
                Files.createFile(empty);
            }
            WritableFileSystem fs = new WritableFileSystem(base, store, cache, fileIds, settings, defaultFileOwner,
                    defaultDirOwner, listingHorizon, clock, area, completions, meters);
            fs.finishDirectoryRenames();
            fs.abortUnfinishedMultiparts();
            return fs;
        } catch (IOException e) {
            area.close();
            throw new UncheckedIOException("cannot prepare the staging area " + settings.dir(), e);
        } catch (RuntimeException e) {
            area.close();
            throw e;
        }
    }

    /**
     * Parts of streamed uploads in flight at once, all files together: each holds its bytes in a buffer off the
     * heap, kept for the next part; together at most an eighth of the heap's size, and between 2 and 16 of them.
     */
    private static int streamingParts(long partSize) {
        long fit = Runtime.getRuntime().maxMemory() / 8 / partSize;
        return (int) Math.max(2, Math.min(16, fit));
    }

    /**
     * Multipart uploads a crash left behind (a file's upload while it was written): aborted, as the files they
     * were for are uploaded again whole from staging.
     */
    private void abortUnfinishedMultiparts() {
        for (Map.Entry<String, String> m : area.pendingMultiparts().entrySet()) {
            String uploadId = m.getKey();
            String key = m.getValue();
            CompletableFuture<Void> aborted;
            try {
                aborted = store.abortMultipart(key, uploadId);
            } catch (RuntimeException e) {
                aborted = CompletableFuture.failedFuture(e);
            }
            aborted.whenComplete((ignored, failure) -> {
                if (failure == null) {
                    area.multipartEnded(uploadId);
                } else {
                    LOG.warn("s3://{}/{}: multipart upload {} left by a crash could not be aborted ({}); the next "
                            + "start tries again", store.bucket(), key, uploadId, failure.toString());
                }
            });
        }
    }

    private static long verifierOf(long boots, long millis) {
        long h = boots * 0x9E3779B97F4A7C15L ^ millis;
        h ^= h >>> 31;
        return h == 0 ? 1 : h;
    }

    /** Starts the uploads that are due (see {@link Uploader}). */
    public void runUploads() {
        uploader.runDue();
    }

    // ---- reads ----

    @Override
    public FileAttributes getattr(Inode inode) throws FsException {
        if (!inode.isDirectory()) {
            StagedFile f = area.byPath(inode.path());
            if (f != null) {
                return staged(f);
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
            FileAttributes a = withKnownOwner(inode.path(), c.present());
            return inode.isDirectory() ? withOverlayChange(inode, a) : a;
        }
        FileAttributes a = withKnownOwner(inode.path(), base.getattr(inode));
        return inode.isDirectory() ? withOverlayChange(inode, a) : a;
    }

    /**
     * Staged files and recent changes are held here; anything else is the base's to know, and so is a directory's
     * listing, which its change attribute comes from.
     */
    @Override
    public CompletableFuture<Void> attributesKnown(Inode inode) {
        if (!inode.isDirectory() && (area.byPath(inode.path()) != null || recent.get(inode.path()) != null)) {
            return KNOWN;
        }
        return base.attributesKnown(inode);
    }

    @Override
    public CompletableFuture<Void> nameKnown(Inode dir, String name) {
        if (!dir.isDirectory()) {
            return KNOWN;
        }
        String path = dir.child(name);
        if (area.byPath(path) != null || recent.get(path) != null) {
            return KNOWN;
        }
        return base.nameKnown(dir, name);
    }

    @Override
    public Inode lookup(Inode dir, String name) throws FsException {
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

    @Override
    public DirListing list(Inode dir, long verifier) throws FsException {
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
    private DirListing merge(Inode dir, DirListing listed) throws FsException {
        List<RecentChanges.Change> changes = recent.children(dir.path());
        List<StagedFile> staged = new ArrayList<>(area.children(dir.path()));
        boolean knows = area.mayKnowChildrenOf(dir.path());
        if (changes.isEmpty() && staged.isEmpty() && !knows) {
            return listed;
        }
        boolean owners = false;
        TreeMap<String, DirEntry> byName = new TreeMap<>(DirListing.NAME_ORDER);
        for (DirEntry e : listed.entries()) {
            FileAttributes a = knows ? withKnownOwner(e.inode().path(), e.attributes()) : e.attributes();
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
            byName.put(name, new DirEntry(name, new Inode(FileType.REGULAR, f.path), staged(f)));
        }
        List<DirEntry> entries = new ArrayList<>(byName.values());
        long v = changes.isEmpty() && staged.isEmpty() ? listed.verifier() : DirListing.verifierOf(entries);
        return new DirListing(v, entries);
    }

    @Override
    public ReadResult read(Inode file, FileAttributes version, long offset, int count) throws FsException {
        Source s = source(file, version, offset, count);
        return s.staged() != null ? s.staged() : base.read(file, s.objectVersion(), offset, count);
    }

    /** As {@link #read}; a staged file's bytes are read at once, an object's without waiting on S3. */
    @Override
    public CompletableFuture<ReadResult> readAsync(Inode file, FileAttributes version, long offset, int count) {
        Source s;
        try {
            s = source(file, version, offset, count);
        } catch (FsException e) {
            return CompletableFuture.failedFuture(e);
        }
        return s.staged() != null ? CompletableFuture.completedFuture(s.staged())
                : base.readAsync(file, s.objectVersion(), offset, count);
    }

    /** Where a read's bytes come from: a staged file (read already, from local disk), or this version's object. */
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

    @Override
    public FsStats statfs() {
        return base.statfs();
    }

    // ---- writes ----

    @Override
    public boolean writable() {
        return true;
    }

    @Override
    public long writeVerifier() {
        return writeVerifier;
    }

    @Override
    public Inode create(Inode dir, String name, CreateHow how, Owner creator) throws FsException {
        requireNonNull(how, "how is null");
        requireNonNull(creator, "creator is null");
        checkName(name);
        synchronized (namespace) {
            requireDirectory(dir);
            String path = dir.child(name);
            Inode existing = resolve(dir, name);
            if (existing != null) {
                if (existing.isDirectory()) {
                    throw new FsException(how.mode() == CreateHow.Mode.UNCHECKED ? FsError.ISDIR
                            : FsError.EXIST, "/" + path + " is a directory");
                }
                switch (how.mode()) {
                    case GUARDED -> throw new FsException(FsError.EXIST, "/" + path + " exists");
                    case EXCLUSIVE -> {
                        StagedFile f = area.byPath(path);
                        if (f == null || f.verifier == null || f.verifier != how.verifier()) {
                            throw new FsException(FsError.EXIST, "/" + path + " exists");
                        }
                        return existing;   // the same exclusive create again: a retransmission
                    }
                    case UNCHECKED -> {
                        if (!how.attributes().isEmpty()) {
                            setattrLocked(existing, how.attributes());
                        }
                        return existing;
                    }
                }
            }
            Owner owner = owned(creator, how.attributes());
            Instant mtime = how.attributes().mtime().orElse(clock.instant());
            StagedFile f = area.create(path, owner, mtime, null, true,
                    how.mode() == CreateHow.Mode.EXCLUSIVE ? how.verifier() : null);
            if (how.attributes().size().isPresent() && how.attributes().size().getAsLong() > 0) {
                f.setSize(how.attributes().size().getAsLong(), mtime);
            }
            return new Inode(FileType.REGULAR, path);
        }
    }

    @Override
    public WriteResult write(Inode file, long offset, ByteBuffer data, boolean durable) throws FsException {
        if (file.isDirectory()) {
            throw new FsException(FsError.ISDIR, "/" + file.path() + " is a directory");
        }
        if (offset < 0 || offset + data.remaining() < 0) {
            throw new FsException(FsError.FBIG, "write past 2^63 in /" + file.path());
        }
        for (int attempt = 0; ; attempt++) {
            StagedFile f = area.byPath(file.path());
            if (f == null) {
                f = stageExisting(file, -1);
            }
            try {
                WriteResult written = new WriteResult(f.write(offset, data, durable, clock.instant()), durable);
                StreamingUpload streaming = f.streaming;
                if (streaming != null) {
                    streaming.advance();
                }
                return written;
            } catch (FsException e) {
                if (!f.gone() || attempt > 0) {
                    throw e;
                }   // uploaded just now: stage the object again
            }
        }
    }

    @Override
    public void commit(Inode file) throws FsException {
        StagedFile f = area.byPath(file.path());
        if (f != null) {
            f.force();
            f.committed(clock.instant().plus(settings.commitQuiet()));
        }
    }

    @Override
    public void closed(Inode file) throws FsException {
        StagedFile f = area.byPath(file.path());
        if (f != null) {
            f.closed(clock.instant().plus(settings.uploadDelay()));
        }
    }

    @Override
    public FileAttributes setattr(Inode inode, NewAttributes attributes) throws FsException {
        requireNonNull(attributes, "attributes is null");
        synchronized (namespace) {
            return setattrLocked(inode, attributes);
        }
    }

    private FileAttributes setattrLocked(Inode inode, NewAttributes attributes) throws FsException {
        FileAttributes now = getattr(inode);
        if (attributes.isEmpty()) {
            return now;
        }
        if (inode.isDirectory()) {
            if (attributes.size().isPresent()) {
                throw new FsException(FsError.ISDIR, "/" + inode.path() + " is a directory");
            }
            Owner owner = changed(now.owner() != null ? now.owner() : defaultDirOwner, attributes);
            area.setKnown(inode.path(), new ObjectAttributes(null, owner, attributes.mtime().orElse(now.mtime())));
            return getattr(inode);
        }
        StagedFile f = area.byPath(inode.path());
        if (f == null && attributes.size().isPresent()) {
            f = stageExisting(inode, attributes.size().getAsLong());
        }
        if (f != null) {
            if (attributes.size().isPresent()) {
                f.setSize(attributes.size().getAsLong(), clock.instant());
            }
            if (attributes.mode().isPresent() || attributes.uid().isPresent() || attributes.gid().isPresent()
                    || attributes.mtime().isPresent()) {
                Owner owner = changed(f.owner() != null ? f.owner() : defaultFileOwner, attributes);
                area.setAttributes(f, owner, attributes.mtime().orElse(f.mtime()));
            }
            return staged(f);
        }
        Owner owner = changed(now.owner() != null ? now.owner() : defaultFileOwner, attributes);
        area.setKnown(inode.path(), new ObjectAttributes(now.etag(), owner, attributes.mtime().orElse(now.mtime())));
        return getattr(inode);
    }

    @Override
    public Inode mkdir(Inode dir, String name, NewAttributes attributes, Owner creator) throws FsException {
        requireNonNull(attributes, "attributes is null");
        requireNonNull(creator, "creator is null");
        checkName(name);
        synchronized (namespace) {
            requireDirectory(dir);
            String path = dir.child(name);
            if (resolve(dir, name) != null) {
                throw new FsException(FsError.EXIST, "/" + path + " exists");
            }
            Owner owner = owned(creator, attributes);
            Instant mtime = attributes.mtime().orElse(clock.instant());
            upload(base.key(path) + "/", emptyFile, ObjectAttributes.metadata(owner, mtime, true));
            area.setKnown(path, new ObjectAttributes(null, owner, mtime));
            Inode created = new Inode(FileType.DIRECTORY, path);
            recent.present(created, new FileAttributes(FileType.DIRECTORY, DIR_SIZE, fileIds.applyAsLong(created),
                    DirListing.verifierOf(List.of()), mtime, null, owner));
            base.changed(path);
            return created;
        }
    }

    @Override
    public void remove(Inode dir, String name) throws FsException {
        synchronized (namespace) {
            requireDirectory(dir);
            Inode target = resolve(dir, name);
            if (target == null) {
                throw new FsException(FsError.NOENT, "no " + name + " in /" + dir.path());
            }
            String path = target.path();
            if (target.isDirectory()) {
                requireEmpty(target);
                keepDirectory(dir, name);
                delete(base.key(path) + "/");
            } else {
                StagedFile f = area.byPath(path);
                if (f == null || f.baseEtag != null) {
                    keepDirectory(dir, name);
                    delete(base.key(path));
                }
                if (f != null) {
                    area.drop(f);
                }
            }
            if (area.known(path) != null) {
                area.setKnown(path, null);
            }
            recent.gone(target);
            base.changed(path);
        }
    }

    @Override
    public void rename(Inode fromDir, String fromName, Inode toDir, String toName) throws FsException {
        checkName(toName);
        synchronized (namespace) {
            requireDirectory(fromDir);
            requireDirectory(toDir);
            Inode source = resolve(fromDir, fromName);
            if (source == null) {
                throw new FsException(FsError.NOENT, "no " + fromName + " in /" + fromDir.path());
            }
            String to = toDir.child(toName);
            if (source.path().equals(to)) {
                return;
            }
            Inode target = resolve(toDir, toName);
            if (source.isDirectory()) {
                if (to.startsWith(source.path() + "/")) {
                    throw new FsException(FsError.INVAL, "cannot move /" + source.path()
                            + " into itself");
                }
                if (target != null && !target.isDirectory()) {
                    throw new FsException(FsError.NOTDIR, "/" + to + " is not a directory");
                }
                if (target != null) {
                    requireEmpty(target);
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
    }

    @Override
    public FileAttributes put(Inode file, Path content, @Nullable Owner owner, Instant mtime,
                              Map<String, String> metadata)
            throws FsException {
        requireNonNull(content, "content is null");
        requireNonNull(mtime, "mtime is null");
        requireNonNull(metadata, "metadata is null");
        if (file.isDirectory()) {
            throw new FsException(FsError.ISDIR, "/" + file.path() + " is a directory");
        }
        List<Inode> folders;
        synchronized (namespace) {
            folders = foldersToShow(file);
        }
        Owner o = owner != null ? owner : defaultFileOwner;
        Map<String, String> all = new LinkedHashMap<>(ObjectAttributes.metadata(o, mtime, false));
        all.putAll(metadata);   // a client that names mode, uid, gid or mtime itself keeps its own spelling
        ObjectMeta object;
        try {
            object = store.upload(base.key(file.path()), content, all, false, null).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof ObjectStoreException ose ? StoreErrors.toFs(ose)
                    : new FsException(FsError.IO, "PUT of /" + file.path() + " failed: " + e.getCause(), e);
        } catch (ObjectStoreException e) {
            throw StoreErrors.toFs(e);
        }
        FileAttributes a = objectAttributes(file, object, o);
        synchronized (namespace) {
            for (Inode folder : folders) {
                if (resolve(new Inode(FileType.DIRECTORY, folder.parentPath()), folder.name()) == null) {
                    recent.present(folder, new FileAttributes(FileType.DIRECTORY, DIR_SIZE,
                            fileIds.applyAsLong(folder), DirListing.verifierOf(List.of()), mtime, null,
                            defaultDirOwner));
                }
                base.changed(folder.path());
            }
            area.setKnown(file.path(), new ObjectAttributes(object.etag(), o, mtime));
            recent.present(file, a);
            base.changed(file.path());
        }
        offerToCache(object, content);
        return a;
    }

    /**
     * The folders above {@code file} that do not exist yet, outermost first, after checking that the names above it
     * are folders (NOTDIR otherwise) and that it is not one (ISDIR).
     */
    private List<Inode> foldersToShow(Inode file) throws FsException {
        String[] names = file.path().split("/", -1);
        for (String name : names) {
            checkName(name);
        }
        List<Inode> missing = new ArrayList<>();
        Inode dir = Inode.ROOT;
        for (int i = 0; i < names.length - 1; i++) {
            Inode next = new Inode(FileType.DIRECTORY, dir.child(names[i]));
            if (missing.isEmpty()) {
                Inode found = resolve(dir, names[i]);
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
            Inode found = resolve(dir, file.name());
            if (found != null && found.isDirectory()) {
                throw new FsException(FsError.ISDIR, "/" + file.path() + " is a directory");
            }
        }
        return missing;
    }

    /** Puts a file just uploaded from {@code content} into the read cache, as {@link #offerToCache} does. */
    private void offerToCache(ObjectMeta object, Path content) {
        if (object.size() > cache.stats().capacityBytes() / 4) {
            return;
        }
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(content)) {
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

    private void renameStaged(StagedFile f, Inode from, Inode to) throws FsException {
        if (f.baseEtag != null) {
            keepDirectory(new Inode(FileType.DIRECTORY, from.parentPath()), from.name());
            delete(base.key(from.path()));   // the object it was staged from goes with the old name
        }
        area.rename(f, to.path());
        forgetKnown(from.path());
        recent.gone(from);
        base.changed(from.path());
        base.changed(to.path());
    }

    private void renameObject(Inode from, Inode to) throws FsException {
        FileAttributes a = getattr(from);
        keepDirectory(new Inode(FileType.DIRECTORY, from.parentPath()), from.name());
        ObjectMeta copied;
        try {
            copied = store.copy(base.key(from.path()), requireNonNull(a.etag(), "a file's attributes carry its etag"),
                    base.key(to.path()));
            StagedFile replaced = area.byPath(to.path());
            if (replaced != null) {
                area.drop(replaced);
            }
            store.delete(base.key(from.path()));
        } catch (ObjectStoreException e) {
            throw StoreErrors.toFs(e);
        }
        ObjectAttributes k = area.known(from.path());
        forgetKnown(from.path());
        if (k != null) {
            area.setKnown(to.path(), new ObjectAttributes(copied.etag(), k.owner(), k.mtime()));
        } else {
            forgetKnown(to.path());
        }
        recent.gone(from);
        recent.present(to, objectAttributes(to, copied, k != null ? k.owner() : null));
        base.changed(from.path());
        base.changed(to.path());
    }

    private void renameDirectory(Inode from, Inode to) throws FsException {
        String fromPrefix = base.key(from.path()) + "/";
        String toPrefix = base.key(to.path()) + "/";
        List<ObjectMeta> keys;
        try {
            keys = mover.keysWithinLimit(fromPrefix);
        } catch (ObjectStoreException e) {
            throw StoreErrors.toFs(e);
        }
        FileAttributes a = getattr(from);
        keepDirectory(new Inode(FileType.DIRECTORY, from.parentPath()), from.name());
        area.dirRenameBegins(from.path(), to.path());
        moveStagedAndKnown(from.path(), to.path());
        try {
            mover.move(keys, fromPrefix, toPrefix);
        } catch (ObjectStoreException e) {
            LOG.warn("rename of /{} to /{} stopped after an S3 error; it is finished at the next start: {}",
                    from.path(), to.path(), e.getMessage());
            throw StoreErrors.toFs(e);
        }
        area.dirRenameDone(from.path());
        recent.gone(from);
        recent.present(to, new FileAttributes(FileType.DIRECTORY, DIR_SIZE, fileIds.applyAsLong(to), a.change(),
                a.mtime(), null, a.owner()));
        base.changed(from.path());
        base.changed(to.path());
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

    /** Directory renames a crash cut short: finished before the file system serves. */
    private void finishDirectoryRenames() {
        for (Map.Entry<String, String> d : area.pendingDirRenames().entrySet()) {
            try {
                moveStagedAndKnown(d.getKey(), d.getValue());
                mover.resume(base.key(d.getKey()) + "/", base.key(d.getValue()) + "/");
                area.dirRenameDone(d.getKey());
            } catch (FsException | ObjectStoreException e) {
                LOG.error("the rename of /{} to /{} could not be finished (tried again at the next start): {}",
                        d.getKey(), d.getValue(), e.getMessage());
            }
        }
    }

    // ---- uploads ----

    private void afterUpload(StagedFile f, ObjectMeta object) {
        synchronized (namespace) {
            if (area.byPath(f.path) != f) {
                return;
            }
            Inode inode = new Inode(FileType.REGULAR, f.path);
            Owner owner = f.owner();
            FileAttributes a = objectAttributes(inode, object, owner);
            // Published before the staged file goes: reads and GETATTRs take no lock, and one that finds the
            // staged file gone must find the object it became (the read-only view may not list it yet). While
            // the file stays staged it is what they see, so these are harmless if the journal fails below.
            uploadedAs.put(f.etag, a);
            recent.present(inode, a);
            base.changed(f.path);
            try {
                area.uploaded(f, owner == null ? null : new ObjectAttributes(object.etag(), owner, f.mtime()));
            } catch (FsException e) {
                LOG.error("/{} is in S3 but the staging journal could not say so; it stays staged: {}", f.path,
                        e.getMessage());
            }
        }
    }

    /**
     * Puts the bytes just uploaded into the read cache from the staged file, so reading the file back downloads
     * nothing; only files up to a quarter of the cache, so one large write does not flush a dataset's working set.
     * Under the file's lock, and only while it still holds exactly the uploaded version.
     */
    private void offerToCache(StagedFile f, StagedFile.Snapshot s, ObjectMeta object) {
        if (object.size() > cache.stats().capacityBytes() / 4) {
            return;
        }
        ObjectVersion version = new ObjectVersion(object.key(), object.etag(), object.size());
        synchronized (f) {
            if (f.gone() || f.generation() != s.generation() || f.size() != object.size()) {
                return;
            }
            try {
                cache.offer(version, f::read);
            } catch (RuntimeException e) {
                LOG.warn("/{} was uploaded but could not enter the read cache: {}", s.path(), e.toString());
            }
        }
    }

    /**
     * An upload that ended after its file changed. Written again under the same name: its next upload follows.
     * Renamed or removed meanwhile: the object under the old name is a stray, deleted unless the name holds
     * something else now.
     */
    private void afterStaleUpload(StagedFile f, StagedFile.Snapshot s, ObjectMeta object) {
        synchronized (namespace) {
            if (!f.gone() && f.path.equals(s.path())) {
                area.rebase(f, object.etag());
                return;
            }
            RecentChanges.Change c = recent.get(s.path());
            if (area.byPath(s.path()) != null || c != null && !c.gone()) {
                return;   // staged again (its upload replaces the stray), or something else was put there
            }
            try {
                store.delete(base.key(s.path()));
                base.changed(s.path());
            } catch (ObjectStoreException e) {
                LOG.warn("s3://{}/{} was uploaded for a file renamed or removed meanwhile and could not be "
                        + "deleted: {}", store.bucket(), base.key(s.path()), e.getMessage());
            }
        }
    }

    /** The staging area; for tests of this package that need to stand between its steps. */
    StagingArea area() {
        return area;
    }

    /** The files S3 does not have yet, and how their uploads go. */
    public StagingStatus status() {
        List<StagingStatus.Pending> pending = new ArrayList<>();
        for (StagedFile f : area.all()) {
            String err = f.lastError();
            pending.add(new StagingStatus.Pending(f.path, f.size(), f.stagedAt, f.uploading(), f.failures(),
                    err == null ? "" : err));
        }
        pending.sort(Comparator.comparing(StagingStatus.Pending::stagedAt).thenComparing(StagingStatus.Pending::path));
        return new StagingStatus(area.usedBytes(), area.capacityBytes(), oldestPending(), uploader.lastError(),
                uploader.lastErrorAt(), pending);
    }

    private Duration oldestPending() {
        Instant oldest = null;
        for (StagedFile f : area.all()) {
            oldest = oldest == null || f.stagedAt.isBefore(oldest) ? f.stagedAt : oldest;
        }
        return oldest == null ? Duration.ZERO : Duration.between(oldest, clock.instant());
    }

    @Override
    public void close() {
        area.close();
    }

    // ---- helpers ----

    private FileAttributes staged(StagedFile f) {
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

    private FileAttributes objectAttributes(Inode inode, ObjectMeta m, @Nullable Owner owner) {
        long h = 1125899906842597L;
        for (int i = 0; i < m.etag().length(); i++) {
            h = 31 * h + m.etag().charAt(i);
        }
        h = (h ^ (m.size() * 0x9E3779B97F4A7C15L)) & Long.MAX_VALUE;
        return new FileAttributes(FileType.REGULAR, m.size(), fileIds.applyAsLong(inode), h == 0 ? 1 : h,
                m.lastModified(), m.etag(), owner);
    }

    /** {@code a} with the owner the journal knows for {@code path} (for a file: of that very version). */
    private FileAttributes withKnownOwner(String path, FileAttributes a) {
        ObjectAttributes k = area.known(path);
        if (k == null || a.type() == FileType.REGULAR && !java.util.Objects.equals(k.etag(), a.etag())) {
            return a;
        }
        // what this gateway knows of the version (set by SETATTR after its upload, or uploaded with it) wins over
        // what a listing or an earlier answer showed
        return new FileAttributes(a.type(), a.size(), a.fileId(), a.change(), k.mtime() != null ? k.mtime() : a.mtime(),
                a.etag(), k.owner() != null ? k.owner() : a.owner());
    }

    /** A directory's attributes with the change attribute of its merged listing, when anything is laid over it. */
    private FileAttributes withOverlayChange(Inode dir, FileAttributes a) throws FsException {
        if (area.children(dir.path()).isEmpty() && recent.children(dir.path()).isEmpty()) {
            return a;
        }
        long v = list(dir, 0).verifier();
        return new FileAttributes(a.type(), a.size(), a.fileId(), v, a.mtime(), a.etag(), a.owner());
    }

    /** The name in {@code dir}, or null when there is none. */
    private @Nullable Inode resolve(Inode dir, String name) throws FsException {
        try {
            return lookup(dir, name);
        } catch (FsException e) {
            if (e.error() == FsError.NOENT) {
                return null;
            }
            throw e;
        }
    }

    private void requireDirectory(Inode dir) throws FsException {
        if (!dir.isDirectory()) {
            throw new FsException(FsError.NOTDIR, "/" + dir.path() + " is not a directory");
        }
        getattr(dir);   // STALE when it is gone
    }

    private void requireEmpty(Inode dir) throws FsException {
        if (!list(dir, 0).entries().isEmpty()) {
            throw new FsException(FsError.NOTEMPTY, "/" + dir.path() + " is not empty");
        }
        String marker = base.key(dir.path()) + "/";
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
    private void keepDirectory(Inode dir, String leaving) throws FsException {
        if (dir.isRoot()) {
            return;
        }
        for (DirEntry e : list(dir, 0).entries()) {
            if (!e.name().equals(leaving)) {
                return;
            }
        }
        String marker = base.key(dir.path()) + "/";
        try {
            if (store.head(marker).isPresent()) {
                return;
            }
        } catch (ObjectStoreException e) {
            throw StoreErrors.toFs(e);
        }
        FileAttributes a = getattr(dir);
        upload(marker, emptyFile, ObjectAttributes.metadata(a.owner() != null ? a.owner() : defaultDirOwner,
                a.mtime(), true));
    }

    /** Copies the object at {@code file} into staging (its first {@code keep} bytes; all with -1) to change it. */
    private StagedFile stageExisting(Inode file, long keep) throws FsException {
        synchronized (namespace) {
            StagedFile f = area.byPath(file.path());
            if (f != null) {
                return f;
            }
            FileAttributes a = getattr(file);
            long copy = keep < 0 ? a.size() : Math.min(keep, a.size());
            f = area.create(file.path(), a.owner(), a.mtime(), a.etag(), false, null);
            try {
                for (long at = 0; at < copy; ) {
                    byte[] chunk = base.read(file, a, at, (int) Math.min(COPY_CHUNK, copy - at)).data();
                    if (chunk.length == 0) {
                        throw new FsException(FsError.IO, "/" + file.path() + " ended at " + at
                                + " bytes while copied into staging");
                    }
                    f.write(at, ByteBuffer.wrap(chunk), false, a.mtime());
                    at += chunk.length;
                }
                f.force();
            } catch (FsException | RuntimeException e) {
                area.drop(f);
                throw e;
            }
            return f;
        }
    }

    private void upload(String key, Path file, Map<String, String> metadata) throws FsException {
        try {
            store.upload(key, file, metadata, false, null).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof ObjectStoreException ose ? StoreErrors.toFs(ose)
                    : new FsException(FsError.IO, "PUT of " + key + " failed: " + e.getCause(), e);
        } catch (ObjectStoreException e) {
            throw StoreErrors.toFs(e);
        }
    }

    private void delete(String key) throws FsException {
        try {
            store.delete(key);
        } catch (ObjectStoreException e) {
            throw StoreErrors.toFs(e);
        }
    }

    private void forgetKnown(String path) throws FsException {
        if (area.known(path) != null) {
            area.setKnown(path, null);
        }
    }

    private static Owner owned(Owner creator, NewAttributes a) {
        return changed(creator, a);
    }

    private static Owner changed(Owner o, NewAttributes a) {
        return new Owner(a.uid().orElse(o.uid()), a.gid().orElse(o.gid()), a.mode().orElse(o.mode()) & 07777);
    }

    private static void checkName(String name) throws FsException {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0
                || name.indexOf('\0') >= 0) {
            throw new FsException(FsError.BADNAME, "'" + name + "' is not a name S3 keys can hold here");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            throw new FsException(FsError.NAMETOOLONG, "name longer than 255 bytes");
        }
    }
}
