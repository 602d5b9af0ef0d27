package io.prefetchd.gateway.fs.staging;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.prefetchd.gateway.cache.ExtentCache;
import io.prefetchd.gateway.fs.CreateHow;
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
import io.prefetchd.gateway.s3.ObjectMeta;
import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.s3.ObjectStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * The read-write file system: the read-only view of the bucket ({@link S3FileSystem}) with the files being written
 * laid over it. See docs/SEMANTICS.md, "Writes". It answers every operation, and hands the work to the parts named
 * below.
 *
 * <p><b>Where written bytes live.</b> A created or written file is staged ({@link StagingArea}): LOOKUP, GETATTR,
 * READDIR and READ see it at once, with its current size and bytes ({@link OverlayView}). Writing an existing object
 * first copies it into staging (all of it, through the read cache), unless it is truncated to zero. When its last
 * writer closes it (or it is committed and left alone while held open), the {@link Uploader} makes it one object;
 * then the staged copy is deleted and the object, with the owner, mode and mtime the file had, answers for the name
 * ({@link AfterUpload}).
 *
 * <p><b>Namespace changes</b> of objects already in S3 go to S3 before they answer ({@link BucketNamespace}): a
 * directory is a folder marker ({@code dir/}) put by MKDIR; REMOVE deletes the object (or the marker of an empty
 * directory); RENAME of an object is a server-side copy then a delete, and of a directory one per key under it
 * ({@link Renames}). The read-only view's cached listings may be older than those changes for a while;
 * {@link RecentChanges} shows the gateway's own changes over them meanwhile.
 *
 * <p><b>Attributes.</b> The owner, group, mode and mtime of a file or directory written through the gateway are
 * kept in the journal and shown in listings without a HEAD ({@link ShownAttributes}); they are the object's user
 * metadata too (see {@link ObjectAttributes}). SETATTR of those on an object already uploaded is kept by the gateway
 * and reaches S3 with the object's next upload.
 *
 * <p>Thread-safe: namespace changes (create, remove, rename, mkdir, attribute changes, the end of an upload) are
 * serialized on one lock, this class's, and hold it while they ask S3. {@link BucketNamespace}, {@link Renames} and
 * {@link AfterUpload} are called with it held and take no lock of their own; under it a change takes the staging
 * area's lock, then a staged file's monitor, never the other way round. Reads ({@link OverlayView}) and writes of
 * file bytes take only their file's monitor.
 */
public final class WritableFileSystem implements VirtualFileSystem, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WritableFileSystem.class);
    private static final int COPY_CHUNK = 1 << 20;

    private final S3FileSystem base;
    private final ObjectStore store;
    private final StagingSettings settings;
    private final Owner defaultFileOwner;
    private final Owner defaultDirOwner;
    private final Clock clock;
    private final StagingArea area;
    private final RecentChanges recent;
    private final ShownAttributes shown;
    private final OverlayView view;
    private final BucketNamespace names;
    private final Renames renames;
    private final AfterUpload afterUpload;
    private final Uploader uploader;
    private final UploadTargets targets;
    private final long writeVerifier;
    private volatile Runnable uploadDue = () -> { };
    /** The lock namespace changes are serialized on (see the class comment). */
    private final Object namespace = new Object();

    private WritableFileSystem(S3FileSystem base, ObjectStore store, ExtentCache cache, ToLongFunction<Inode> fileIds,
                               StagingSettings settings, Owner defaultFileOwner, Owner defaultDirOwner,
                               Duration listingHorizon, Clock clock, StagingArea area, Executor completions,
                               Executor streaming, MeterRegistry meters) {
        this.base = base;
        this.store = store;
        this.settings = settings;
        this.defaultFileOwner = defaultFileOwner;
        this.defaultDirOwner = defaultDirOwner;
        this.clock = clock;
        this.area = area;
        this.recent = new RecentChanges(clock, listingHorizon);
        this.shown = new ShownAttributes(area, fileIds);
        this.view = new OverlayView(base, area, recent, shown, clock);
        Path emptyFile = settings.dir().resolve("empty");
        this.names = new BucketNamespace(view, store, base::key, emptyFile, defaultDirOwner);
        CachedCopies cachedCopies = new CachedCopies(cache);
        this.targets = new UploadTargets();
        this.renames = new Renames(view, names, shown, area, recent, base, store,
                new DirectoryMover(store, settings.maxRenameKeys(), emptyFile, cachedCopies), cachedCopies, targets);
        this.afterUpload = new AfterUpload(view, shown, area, recent, base, store, cache);
        this.writeVerifier = verifierOf(area.boots(), clock.millis());
        this.uploader = new Uploader(area, store, base::key, settings, defaultFileOwner, clock, new Uploader.Outcome() {
            @Override
            public boolean uploaded(StagedFile file, StagedFile.Snapshot snapshot, ObjectMeta object) {
                try {
                    afterUpload.toCache(file, snapshot, object);
                } catch (Error e) {   // the object answers for the name even if the copy into the read cache failed
                    LOG.error("/{} was uploaded but could not enter the read cache: {}", file.path, e.toString());
                }
                synchronized (namespace) {
                    return afterUpload.uploaded(file, snapshot, object);
                }
            }

            @Override
            public void superseded(StagedFile file, StagedFile.Snapshot snapshot, ObjectMeta object) {
                synchronized (namespace) {
                    afterUpload.superseded(file, snapshot, object);
                }
            }

            @Override
            public @Nullable ObjectMeta moved(StagedFile file, StagedFile.Snapshot sent, StagedFile.Snapshot now,
                                              ObjectMeta object) {
                synchronized (namespace) {   // as a rename's copy: no other namespace change meanwhile
                    return afterUpload.moved(file, sent, now, object);
                }
            }
        }, completions, targets, meters);
        if (settings.streamingPartSize() > 0) {
            area.streamWith(new StreamingUpload.Context(store, area, base::key, settings.streamingPartSize(),
                    new Semaphore(streamingParts(settings.streamingPartSize())), defaultFileOwner, streaming, meters));
        }
        Gauge.builder("prefetchd.staging.bytes", area, StagingArea::usedBytes).baseUnit("bytes")
                .description("bytes of written files staged on local disk").register(meters);
        Gauge.builder("prefetchd.staging.capacity", area, StagingArea::capacityBytes).baseUnit("bytes")
                .description("the staging area's budget (prefetchd.write.staging-size)").register(meters);
        FunctionCounter.builder("prefetchd.staging.written", area, StagingArea::writtenCachedBytes)
                .baseUnit("bytes").tag("path", "page_cache")
                .description("bytes WRITEs put into staged files, by the way they went to disk").register(meters);
        FunctionCounter.builder("prefetchd.staging.written", area, StagingArea::writtenDirectBytes)
                .baseUnit("bytes").tag("path", "direct")
                .description("bytes WRITEs put into staged files, by the way they went to disk").register(meters);
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
     * @param completions where what follows an upload runs (one thread is enough), and the steps of the uploads
     *     that run while files are written
     */
    public static WritableFileSystem open(S3FileSystem base, ObjectStore store, ExtentCache cache,
                                          ToLongFunction<Inode> fileIds,
                                          StagingSettings settings, Owner defaultFileOwner, Owner defaultDirOwner,
                                          Duration listingHorizon, Clock clock, Executor completions,
                                          MeterRegistry meters) {
        return open(base, store, cache, fileIds, settings, defaultFileOwner, defaultDirOwner, listingHorizon, clock,
                completions, completions, meters);
    }

    /**
     * As {@link #open(S3FileSystem, ObjectStore, ExtentCache, ToLongFunction, StagingSettings, Owner, Owner, Duration,
     * Clock, Executor, MeterRegistry)}, with the uploads that run while files are written on {@code streaming}: what
     * follows an upload copies the whole file into the read cache, and parts of other files being written must not
     * wait behind it.
     *
     * @param streaming where the parts of uploads that run while their files are written are read and sent
     */
    public static WritableFileSystem open(S3FileSystem base, ObjectStore store, ExtentCache cache,
                                          ToLongFunction<Inode> fileIds,
                                          StagingSettings settings, Owner defaultFileOwner, Owner defaultDirOwner,
                                          Duration listingHorizon, Clock clock, Executor completions,
                                          Executor streaming, MeterRegistry meters) {
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
        requireNonNull(streaming, "streaming is null");
        requireNonNull(meters, "meters is null");
        StagingArea area = StagingArea.open(settings.dir(), settings.capacityBytes(), settings.directIo(), clock);
        try {
            Path empty = settings.dir().resolve("empty");
            if (!Files.exists(empty)) {
                Files.createFile(empty);
            }
            WritableFileSystem fs = new WritableFileSystem(base, store, cache, fileIds, settings, defaultFileOwner,
                    defaultDirOwner, listingHorizon, clock, area, completions, streaming, meters);
            fs.renames.finishCutShort();
            fs.abortUnfinishedMultiparts();
            fs.removeStrays(completions);
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

    /**
     * Objects a crash left under the old names of files renamed or removed while they were uploaded (renamed files
     * are uploaded again under their new names), each while S3 still holds the version left: deleted, on
     * {@code completions}, or taken over by a file staged under that name since, as the version it replaces.
     */
    private void removeStrays(Executor completions) {
        Map<String, String> left = area.pendingStrays();
        if (left.isEmpty()) {
            return;
        }
        completions.execute(() -> {
            for (Map.Entry<String, String> stray : left.entrySet()) {
                String key = stray.getKey();
                synchronized (namespace) {
                    if (!stray.getValue().equals(area.pendingStrays().get(key))) {
                        continue;   // dealt with since the start (a write onto the key, say)
                    }
                    try {
                        if (store.head(key).map(m -> m.etag().equals(stray.getValue())).orElse(false)) {
                            StagedFile claimer = area.all().stream().filter(f -> base.key(f.path).equals(key))
                                    .findFirst().orElse(null);
                            if (claimer == null) {
                                if (store.delete(key, stray.getValue())) {   // unless replaced since the HEAD
                                    LOG.info("s3://{}/{}: deleted; uploaded for a file renamed or removed meanwhile, "
                                            + "left by a crash", store.bucket(), key);
                                }
                            } else if (claimer.baseEtag == null) {   // as AfterUpload.superseded hands it over
                                area.rebase(claimer, stray.getValue());
                            }
                        }
                        area.strayDone(key);
                    } catch (ObjectStoreException e) {
                        LOG.warn("s3://{}/{}, left by a crash, could not be checked or deleted ({}); the next start "
                                + "tries again", store.bucket(), key, e.getMessage());
                    } catch (RuntimeException e) {
                        LOG.error("s3://{}/{}, left by a crash: {}", store.bucket(), key, e.toString(), e);
                    }
                }
            }
        });
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

    /** Heap held by merged listings kept for READDIR paging, for tests. */
    long heldListingBytes() {
        return view.heldSnapshotBytes();
    }

    /** The permits for streamed parts in flight, all files together, for tests; fails when files are not streamed. */
    Semaphore streamingBudget() {
        return requireNonNull(area.streamingBudget(), "files are not streamed");
    }

    /**
     * {@code wake} is run (on the closing thread; it must not block) when a close makes a file due for upload at once,
     * as a streamed file is: whoever calls {@link #runUploads} can do so now rather than at its next round.
     */
    public void onUploadDue(Runnable wake) {
        this.uploadDue = requireNonNull(wake, "wake is null");
    }

    /**
     * For a stop: starts no more uploads and waits up to {@code timeout} for those in flight to land and be
     * recorded, so that a file uploaded just before the stop is not staged still, to go up again, at the next start.
     * Uploads still in flight after that stay staged and go up at the next start.
     */
    public void drainUploads(Duration timeout) {
        uploader.stop();
        int inFlight = uploader.inFlight();
        if (inFlight > 0) {
            LOG.info("stopping: waiting up to {} s for {} upload{} in flight", timeout.toSeconds(), inFlight,
                    inFlight == 1 ? "" : "s");
        }
        try {
            int left = uploader.awaitIdle(timeout);
            if (left > 0) {
                LOG.warn("stopping with uploads still in flight ({}): they stay staged and go up at the next start",
                        left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- reads ----

    @Override
    public FileAttributes getattr(Inode inode) throws FsException {
        return view.getattr(inode);
    }

    @Override
    public CompletableFuture<Void> attributesKnown(Inode inode) {
        return view.attributesKnown(inode);
    }

    @Override
    public CompletableFuture<Void> nameKnown(Inode dir, String name) {
        return view.nameKnown(dir, name);
    }

    @Override
    public Inode lookup(Inode dir, String name) throws FsException {
        return view.lookup(dir, name);
    }

    @Override
    public DirListing list(Inode dir, long verifier) throws FsException {
        return view.list(dir, verifier);
    }

    @Override
    public ReadResult read(Inode file, FileAttributes version, long offset, int count) throws FsException {
        return view.read(file, version, offset, count);
    }

    /** As {@link #read}; a staged file's bytes are read at once, an object's without waiting on S3. */
    @Override
    public CompletableFuture<ReadResult> readAsync(Inode file, FileAttributes version, long offset, int count) {
        return view.readAsync(file, version, offset, count);
    }

    /**
     * What a writer can still use, as {@code df} shows it: the staging area's size and what is left of it (a write
     * past it is NFS4ERR_NOSPC until uploads free room), and files without a limit (S3 counts no objects), all free.
     */
    @Override
    public FsStats statfs() {
        long capacity = area.capacityBytes();
        return new FsStats(capacity, Math.max(0, capacity - area.usedBytes()), FsStats.FILES, FsStats.FILES);
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
        BucketNamespace.checkName(name);
        synchronized (namespace) {
            view.requireDirectory(dir);
            String path = dir.child(name);
            Inode existing = view.resolve(dir, name);
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
            Owner owner = ShownAttributes.changed(creator, how.attributes());
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
            Duration delay = f.closeDelay(settings.uploadDelay());
            f.closed(clock.instant().plus(delay));
            if (delay.isZero()) {
                uploadDue.run();
            }
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
            Owner owner = ShownAttributes.changed(now.owner() != null ? now.owner() : defaultDirOwner, attributes);
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
                Owner owner = ShownAttributes.changed(f.owner() != null ? f.owner() : defaultFileOwner, attributes);
                area.setAttributes(f, owner, attributes.mtime().orElse(f.mtime()));
            }
            return shown.staged(f);
        }
        Owner owner = ShownAttributes.changed(now.owner() != null ? now.owner() : defaultFileOwner, attributes);
        area.setKnown(inode.path(), new ObjectAttributes(now.etag(), owner, attributes.mtime().orElse(now.mtime())));
        return getattr(inode);
    }

    @Override
    public Inode mkdir(Inode dir, String name, NewAttributes attributes, Owner creator) throws FsException {
        requireNonNull(attributes, "attributes is null");
        requireNonNull(creator, "creator is null");
        BucketNamespace.checkName(name);
        synchronized (namespace) {
            view.requireDirectory(dir);
            String path = dir.child(name);
            if (view.resolve(dir, name) != null) {
                throw new FsException(FsError.EXIST, "/" + path + " exists");
            }
            Owner owner = ShownAttributes.changed(creator, attributes);
            Instant mtime = attributes.mtime().orElse(clock.instant());
            names.putMarker(path, owner, mtime);
            area.setKnown(path, new ObjectAttributes(null, owner, mtime));
            Inode created = new Inode(FileType.DIRECTORY, path);
            recent.present(created, shown.emptyDirectory(created, mtime, owner));
            base.changed(path);
            return created;
        }
    }

    @Override
    public void remove(Inode dir, String name) throws FsException {
        synchronized (namespace) {
            view.requireDirectory(dir);
            Inode target = view.resolve(dir, name);
            if (target == null) {
                throw new FsException(FsError.NOENT, "no " + name + " in /" + dir.path());
            }
            String path = target.path();
            if (target.isDirectory()) {
                names.requireEmpty(target);
                names.keepDirectory(dir, name);
                names.deleteMarker(path);
            } else {
                StagedFile f = area.byPath(path);
                if (f == null || f.baseEtag != null) {
                    names.keepDirectory(dir, name);
                    names.deleteObject(path);
                }
                if (f != null) {
                    area.drop(f);
                }
            }
            area.forgetKnown(path);
            recent.gone(target);
            base.changed(path);
        }
    }

    @Override
    public void rename(Inode fromDir, String fromName, Inode toDir, String toName) throws FsException {
        BucketNamespace.checkName(toName);
        synchronized (namespace) {
            renames.rename(fromDir, fromName, toDir, toName);
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
        UploadTargets.Claim held;
        synchronized (namespace) {
            folders = names.foldersAbove(file);
            held = targets.hold(base.key(file.path()), "the PUT of /" + file.path());
        }
        try {
            return putHeld(file, content, owner, mtime, metadata, folders);
        } finally {
            targets.release(held);
        }
    }

    /** {@link #put}, holding the object's key against the gateway's uploads. */
    private FileAttributes putHeld(Inode file, Path content, @Nullable Owner owner, Instant mtime,
                                   Map<String, String> metadata, List<Inode> folders) throws FsException {
        synchronized (namespace) {
            area.settleStray(base.key(file.path()), store);
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
        FileAttributes a = shown.object(file, object, o);
        synchronized (namespace) {
            for (Inode folder : folders) {
                if (view.resolve(new Inode(FileType.DIRECTORY, folder.parentPath()), folder.name()) == null) {
                    recent.present(folder, shown.emptyDirectory(folder, mtime, defaultDirOwner));
                }
                base.changed(folder.path());
            }
            area.setKnown(file.path(), new ObjectAttributes(object.etag(), o, mtime));
            area.strayDone(object.key());   // what an earlier upload left there, if anything, is replaced
            recent.present(file, a);
            base.changed(file.path());
        }
        afterUpload.toCache(object, content);
        return a;
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
}
