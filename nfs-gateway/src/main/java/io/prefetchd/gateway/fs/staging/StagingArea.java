package io.prefetchd.gateway.fs.staging;

import io.prefetchd.gateway.fs.FsError;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Owner;
import io.prefetchd.planner.units.Sizes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * Files being written, on local disk, until S3 has them: one sparse file per written file under
 * {@code <dir>/files/<id>}, and a {@link Journal} of the namespace changes (created, renamed, attributes set,
 * dropped, uploaded as which object) under {@code <dir>/journal}.
 *
 * <p><b>Durability.</b> Every namespace change is journaled and forced before the operation that made it answers;
 * bytes are forced by a durable WRITE or a COMMIT ({@link StagedFile#force}). After a crash the journal is replayed:
 * every staged file it names is staged again with the length it has on disk, so everything acknowledged as stable
 * is there, and is uploaded. A file on disk the journal does not name (a create that crashed before its record was
 * forced, so was never acknowledged) is deleted. Each open rewrites the journal as a snapshot of what is live.
 *
 * <p><b>Budget.</b> Staged bytes (file sizes, holes included) stay within {@code capacityBytes}; a write that would
 * pass it fails with NOSPC and changes nothing.
 *
 * <p>Thread-safe: namespace changes are serialized on this object; the maps are concurrent for readers.
 */
final class StagingArea implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StagingArea.class);
    /** Records appended beyond the live state's size after which the journal is rewritten. */
    private static final long COMPACT_AFTER = 10_000;

    private final Path filesDir;
    private final long capacity;
    /** Whole blocks of this many bytes go around the page cache, 0 for none ({@link StagedBytes}). */
    private final int directAlignment;
    private final LongAdder writtenCachedBytes = new LongAdder();
    private final LongAdder writtenDirectBytes = new LongAdder();
    private final Clock clock;
    private final Journal journal;
    private final long boots;
    private long nextId;
    private final AtomicLong used = new AtomicLong();
    private final Map<Long, StagedFile> byId = new ConcurrentHashMap<>();
    private final Map<String, StagedFile> byPath = new ConcurrentHashMap<>();
    private final Map<String, Set<StagedFile>> byParent = new ConcurrentHashMap<>();
    private final Map<String, ObjectAttributes> known = new ConcurrentHashMap<>();
    /** Folders with a name in {@link #known} (never shrinks in a run): listings elsewhere skip the lookups. */
    private final Set<String> knownParents = ConcurrentHashMap.newKeySet();
    private final Map<String, String> dirRenames = new LinkedHashMap<>();
    /** Multipart uploads begun and not yet completed or aborted: upload id to key. */
    private final Map<String, String> multiparts = new LinkedHashMap<>();
    /** Objects uploaded for files renamed or removed meanwhile and not yet dealt with: key to ETag. */
    private final Map<String, String> strays = new LinkedHashMap<>();
    /** Uploads that landed in S3 and whose bookkeeping has not ended: the staged file, and its object's key and ETag. */
    private final Map<StagedFile, Landed> landed = new java.util.IdentityHashMap<>();
    private volatile StreamingUpload.@Nullable Context streaming;

    private StagingArea(Path filesDir, long capacity, int directAlignment, Clock clock, Journal journal, long boots,
                        long nextId) {
        this.directAlignment = directAlignment;
        this.filesDir = filesDir;
        this.capacity = capacity;
        this.clock = clock;
        this.journal = journal;
        this.boots = boots;
        this.nextId = nextId;
    }

    /** What a replay found, before the staged files are opened. */
    private static final class Replay {
        long boots;
        long nextId = 1;
        final Map<Long, Journal.Create> files = new LinkedHashMap<>();
        final Map<Long, Journal.Attrs> attrs = new HashMap<>();
        final Map<String, ObjectAttributes> known = new HashMap<>();
        final Map<String, String> dirRenames = new LinkedHashMap<>();
        final Map<String, String> multiparts = new LinkedHashMap<>();
        final Map<String, String> strays = new LinkedHashMap<>();

        void apply(Journal.Record r) {
            if (r instanceof Journal.Boot b) {
                boots = Math.max(boots, b.boots());
                nextId = Math.max(nextId, b.nextId());
            } else if (r instanceof Journal.Create c) {
                files.put(c.id(), c);
                nextId = Math.max(nextId, c.id() + 1);
            } else if (r instanceof Journal.Attrs a) {
                attrs.put(a.id(), a);
            } else if (r instanceof Journal.Rename n) {
                Journal.Create c = files.get(n.id());
                if (c != null) {   // renamed: unconditional upload from now on
                    files.put(n.id(), new Journal.Create(c.id(), n.path(), c.owner(), c.mtime(), null, false,
                            c.verifier()));
                }
            } else if (r instanceof Journal.Base b) {
                Journal.Create c = files.get(b.id());
                if (c != null) {
                    files.put(b.id(), new Journal.Create(c.id(), c.path(), c.owner(), c.mtime(), b.etag(), true,
                            c.verifier()));
                }
            } else if (r instanceof Journal.Drop d) {
                files.remove(d.id());
                attrs.remove(d.id());
            } else if (r instanceof Journal.Known k) {
                if (k.attributes() == null) {
                    known.remove(k.path());
                } else {
                    known.put(k.path(), k.attributes());
                }
            } else if (r instanceof Journal.DirRename d) {
                dirRenames.put(d.from(), d.to());
            } else if (r instanceof Journal.DirRenameDone d) {
                dirRenames.remove(d.from());
            } else if (r instanceof Journal.Stray t) {
                strays.put(t.key(), t.etag());
            } else if (r instanceof Journal.StrayDone t) {
                strays.remove(t.key());
            } else if (r instanceof Journal.Multipart m) {
                multiparts.put(m.uploadId(), m.key());
            } else if (r instanceof Journal.MultipartDone m) {
                multiparts.remove(m.uploadId());
            }
        }
    }

    /** A WRITE put {@code bytes} into a staged file, {@code direct} of them around the page cache. */
    void written(long bytes, long direct) {
        writtenCachedBytes.add(bytes - direct);
        writtenDirectBytes.add(direct);
    }

    /** Bytes WRITEs put into staged files through the page cache since the gateway started. */
    long writtenCachedBytes() {
        return writtenCachedBytes.sum();
    }

    /** Bytes WRITEs put into staged files around the page cache since the gateway started. */
    long writtenDirectBytes() {
        return writtenDirectBytes.sum();
    }

    /** Opens the staging area in {@code dir} (creating it), replaying its journal. */
    static StagingArea open(Path dir, long capacityBytes, Clock clock) {
        return open(dir, capacityBytes, true, clock);
    }

    /** As {@link #open(Path, long, Clock)}; {@code directIo} as {@link StagingSettings#directIo}. */
    static StagingArea open(Path dir, long capacityBytes, boolean directIo, Clock clock) {
        requireNonNull(dir, "dir is null");
        requireNonNull(clock, "clock is null");
        Path files = dir.resolve("files");
        Replay replay = new Replay();
        Journal journal;
        try {
            Files.createDirectories(files);
            journal = Journal.open(dir.resolve("journal"), replay::apply);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the staging area " + dir, e);
        }
        int alignment = directIo ? StagedBytes.alignmentIn(files) : 0;
        if (directIo) {
            LOG.info(alignment != 0 ? "staging in {}: whole blocks of staged files bypass the page cache (O_DIRECT)"
                    : "staging in {}: its file system refuses O_DIRECT, staged files go through the page cache", dir);
        }
        StagingArea area = new StagingArea(files, capacityBytes, alignment, clock, journal, replay.boots + 1,
                replay.nextId);
        try {
            area.restore(replay);
        } catch (IOException | RuntimeException e) {
            journal.close();
            area.byId.values().forEach(StagedFile::retire);
            throw e instanceof IOException io ? new UncheckedIOException("cannot restore the staging area " + dir, io)
                    : (RuntimeException) e;
        }
        return area;
    }

    private void restore(Replay replay) throws IOException {
        Instant now = clock.instant();
        for (Journal.Create c : replay.files.values()) {
            Path f = filesDir.resolve(Long.toString(c.id()));
            if (!Files.exists(f)) {
                LOG.error("staged file {} of /{} is missing from {}: its bytes are lost", c.id(), c.path(), filesDir);
                continue;
            }
            Journal.Attrs a = replay.attrs.get(c.id());
            StagedBytes ch = StagedBytes.open(f, false, directAlignment);
            StagedFile s = new StagedFile(this, c.id(), f, ch, etagOf(c.id()), c.path(),
                    a != null ? a.owner() : c.owner(), a != null ? a.mtime() : c.mtime(), c.baseEtag(), c.conditional(),
                    c.verifier(), ch.size(), now);
            s.closed(now);   // its writers went with the last run: upload it
            used.addAndGet(s.size());
            index(s);
        }
        replay.known.forEach(this::putKnown);
        dirRenames.putAll(replay.dirRenames);
        multiparts.putAll(replay.multiparts);
        strays.putAll(replay.strays);
        try (DirectoryStream<Path> all = Files.newDirectoryStream(filesDir)) {
            for (Path f : all) {
                String name = f.getFileName().toString();
                if (!name.matches("\\d+") || !byId.containsKey(Long.parseLong(name))) {
                    Files.deleteIfExists(f);   // created, but its record never made it: never acknowledged
                }
            }
        }
        compact();
        if (!byId.isEmpty()) {
            LOG.info("staging area: {} files ({}) from before the restart are staged and will be uploaded",
                    byId.size(), Sizes.format(used.get()));
        }
    }

    private String etagOf(long id) {
        return "staged-" + boots + "-" + id;
    }

    /** Ordinal of this start of the gateway (1 for the first): a new value on every start. */
    long boots() {
        return boots;
    }

    long usedBytes() {
        return used.get();
    }

    long capacityBytes() {
        return capacity;
    }

    @Nullable StagedFile byPath(String path) {
        return byPath.get(path);
    }

    /** The staged files directly in {@code dirPath}. */
    Collection<StagedFile> children(String dirPath) {
        Set<StagedFile> s = byParent.get(dirPath);
        return s == null ? List.of() : List.copyOf(s);
    }

    /** The staged files at or below {@code dirPath}. */
    List<StagedFile> under(String dirPath) {
        List<StagedFile> out = new ArrayList<>();
        for (StagedFile f : byId.values()) {
            if (f.path.startsWith(dirPath + "/")) {
                out.add(f);
            }
        }
        return out;
    }

    Collection<StagedFile> all() {
        return List.copyOf(byId.values());
    }

    @Nullable ObjectAttributes known(String path) {
        return known.get(path);
    }

    synchronized Map<String, String> pendingDirRenames() {
        return Map.copyOf(dirRenames);
    }

    /** A new, empty staged file at {@code path}; durable when this returns. */
    synchronized StagedFile create(String path, @Nullable Owner owner, Instant mtime, @Nullable String baseEtag,
                                   boolean isNew, @Nullable Long verifier) throws FsException {
        long id = nextId++;
        Path f = filesDir.resolve(Long.toString(id));
        StagedBytes ch;
        try {
            ch = StagedBytes.open(f, true, directAlignment);
            Journal.forceDirectory(filesDir);
        } catch (IOException e) {
            throw ioError("create of a staged file for /" + path, e);
        }
        StagedFile s = new StagedFile(this, id, f, ch, etagOf(id), path, owner, mtime, baseEtag, isNew, verifier, 0,
                clock.instant());
        StagedFile replaced = byPath.get(path);
        Landed replacedLeft = replaced == null ? null : landed.get(replaced);
        try {
            journal.appendAndForce(withStray(replacedLeft,
                    new Journal.Create(id, path, owner, mtime, baseEtag, isNew, verifier)));
        } catch (UncheckedIOException e) {
            s.retire();
            deleteQuietly(f);
            throw ioError("journal of the create of /" + path, e);
        }
        strayRecorded(replacedLeft);
        if (replaced != null) {
            dropLocked(replaced, false);
        }
        StreamingUpload.Context c = streaming;
        if (c != null) {
            s.streaming = new StreamingUpload(c, s);
        }
        index(s);
        return s;
    }

    /**
     * Renames staged file {@code f} to {@code path}, dropping a staged file there; durable when this returns. An
     * upload that landed and whose bookkeeping has not ended, of {@code f} under its old name or of the file
     * replaced under the new one, leaves its object there as a stray, journaled with the rename.
     */
    synchronized void rename(StagedFile f, String path) throws FsException {
        StagedFile replaced = byPath.get(path);
        Landed left = landed.get(f);
        Landed replacedLeft = replaced != null && replaced != f ? landed.get(replaced) : null;
        try {
            if (replaced != null && replaced != f) {
                journal.append(new Journal.Drop(replaced.id));
            }
            journal.appendAndForce(withStray(replacedLeft, withStray(left, new Journal.Rename(f.id, path))));
        } catch (UncheckedIOException e) {
            throw ioError("journal of the rename of /" + f.path, e);
        }
        landed.remove(f);
        strayRecorded(left);
        strayRecorded(replacedLeft);
        if (replaced != null && replaced != f) {
            dropLocked(replaced, false);
        }
        unindex(f);
        f.path = path;
        f.renames.incrementAndGet();
        f.baseEtag = null;
        f.conditional = false;
        index(f);   // a streamed upload carries on under the old name (see StreamingUpload)
    }

    /** An older version of {@code f} is in S3 under its name as {@code etag}: its next upload replaces that one. */
    synchronized void rebase(StagedFile f, String etag) {
        if (byId.get(f.id) != f) {
            return;
        }
        landed.remove(f);   // what its upload landed is its base version now, not a stray if it moves
        journal.append(new Journal.Base(f.id, etag));   // forced with the next record; replay without it only
        f.baseEtag = etag;                               // logs a conflict that last close wins resolves
        f.conditional = true;
    }

    /** Forgets staged file {@code f} and deletes its bytes (removed, or replaced); durable when this returns. */
    synchronized void drop(StagedFile f) throws FsException {
        dropLocked(f, true);
    }

    /**
     * As {@link #drop}, for a file whose name was just overwritten in S3 (an object copied onto it): what its upload
     * landed there, if anything, is gone, not a stray.
     */
    synchronized void dropOverwritten(StagedFile f) throws FsException {
        landed.remove(f);
        dropLocked(f, true);
    }

    /**
     * Drops {@code f}: removed ({@code journaled}), or replaced or uploaded (journaled by the caller). A removed file's
     * upload that landed and whose bookkeeping has not ended leaves its object as a stray, journaled with the removal.
     */
    private void dropLocked(StagedFile f, boolean journaled) throws FsException {
        if (byId.get(f.id) != f) {
            return;
        }
        Landed left = landed.remove(f);
        if (journaled) {
            try {
                journal.appendAndForce(withStray(left, new Journal.Drop(f.id)));
            } catch (UncheckedIOException e) {
                if (left != null) {
                    landed.put(f, left);
                }
                throw ioError("journal of the removal of /" + f.path, e);
            }
            strayRecorded(left);
        }
        unindex(f);
        byId.remove(f.id);
        f.retire();
        if (f.streaming != null) {
            f.streaming.stop("it was removed");
        }
        used.addAndGet(-f.size());
        deleteQuietly(f.file);
    }

    /**
     * Staged file {@code f} is in S3 as {@code attributes} describe: journaled and forced before its bytes are
     * deleted, so that a crash in between uploads it again rather than losing it. Only while it still holds exactly
     * what its upload {@code s} sent, under the same name; returns whether it was retired.
     */
    synchronized boolean uploaded(StagedFile f, StagedFile.Snapshot s, String key,
                                  @Nullable ObjectAttributes attributes) throws FsException {
        if (byId.get(f.id) != f) {
            return false;
        }
        synchronized (f) {   // a WRITE takes the file's monitor: none lands between this check and the retirement
            if (!s.equals(f.unchangedSince(s))) {
                return false;
            }
            try {
                // in the same forced append: a stray recorded under the key must never outlive the file's object there
                journal.appendAndForce(strays.containsKey(key)
                        ? new Journal.Record[] {new Journal.Drop(f.id), new Journal.Known(f.path, attributes),
                                new Journal.StrayDone(key)}
                        : new Journal.Record[] {new Journal.Drop(f.id), new Journal.Known(f.path, attributes)});
            } catch (UncheckedIOException e) {
                throw ioError("journal of the upload of /" + f.path, e);
            }
            if (attributes == null) {
                known.remove(f.path);
            } else {
                putKnown(f.path, attributes);
            }
            strays.remove(key);
            dropLocked(f, false);
        }
        maybeCompact();
        return true;
    }

    synchronized void setAttributes(StagedFile f, Owner owner, Instant mtime) throws FsException {
        try {
            journal.appendAndForce(new Journal.Attrs(f.id, owner, mtime));
        } catch (UncheckedIOException e) {
            throw ioError("journal of the attributes of /" + f.path, e);
        }
        f.setAttributes(owner, mtime);
    }

    /** Records (or with null, forgets) what is known of the object or directory at {@code path}. */
    synchronized void setKnown(String path, @Nullable ObjectAttributes attributes) throws FsException {
        try {
            journal.appendAndForce(new Journal.Known(path, attributes));
        } catch (UncheckedIOException e) {
            throw ioError("journal of the attributes of /" + path, e);
        }
        if (attributes == null) {
            known.remove(path);
        } else {
            putKnown(path, attributes);
        }
    }

    /** Forgets what is known of {@code path}, when anything is; durable when this returns. */
    synchronized void forgetKnown(String path) throws FsException {
        if (known.containsKey(path)) {
            setKnown(path, null);
        }
    }

    private void putKnown(String path, ObjectAttributes attributes) {
        int slash = path.lastIndexOf('/');
        knownParents.add(slash < 0 ? "" : path.substring(0, slash));
        known.put(path, attributes);
    }

    /** Whether any name directly in {@code dirPath} may have known attributes. */
    boolean mayKnowChildrenOf(String dirPath) {
        return knownParents.contains(dirPath);
    }

    synchronized void dirRenameBegins(String from, String to) throws FsException {
        try {
            journal.appendAndForce(new Journal.DirRename(from, to));
        } catch (UncheckedIOException e) {
            throw ioError("journal of the rename of /" + from, e);
        }
        dirRenames.put(from, to);
    }

    synchronized void dirRenameDone(String from) {
        journal.appendAndForce(new Journal.DirRenameDone(from));
        dirRenames.remove(from);
    }

    /** Files created from now on are uploaded while they are written, as {@code context} says. */
    void streamWith(StreamingUpload.Context context) {
        streaming = requireNonNull(context, "context is null");
    }

    /** The permits for streamed parts in flight, all files together; null when files are not streamed. */
    @Nullable Semaphore streamingBudget() {
        StreamingUpload.Context c = streaming;
        return c == null ? null : c.budget;
    }

    /** Multipart upload {@code uploadId} of {@code key} began; durable when this returns. */
    synchronized void multipartBegun(String key, String uploadId) throws FsException {
        try {
            journal.appendAndForce(new Journal.Multipart(key, uploadId));
        } catch (UncheckedIOException e) {
            throw ioError("journal of a multipart upload of " + key, e);
        }
        multiparts.put(uploadId, key);
    }

    /** Multipart upload {@code uploadId} completed or was aborted (not forced: an abort of it again is harmless). */
    synchronized void multipartEnded(String uploadId) {
        if (multiparts.remove(uploadId) != null) {
            try {
                journal.append(new Journal.MultipartDone(uploadId));
            } catch (UncheckedIOException e) {
                LOG.warn("the staging journal could not record the end of multipart upload {}: {}", uploadId,
                        e.getMessage());
            }
        }
    }

    /**
     * Object {@code key}, as {@code etag}, was uploaded for a file renamed or removed meanwhile and is to be deleted
     * or handed over; durable when this returns, so that a crash before then leaves it to the next start.
     */
    synchronized void strayLeft(String key, String etag) throws FsException {
        try {
            journal.appendAndForce(new Journal.Stray(key, etag));
        } catch (UncheckedIOException e) {
            throw ioError("journal of the object left under " + key, e);
        }
        strays.put(key, etag);
    }

    /** An object an upload put in S3 as {@code etag} under {@code key}. */
    private record Landed(String key, String etag) {
    }

    /** {@code record}, followed by the stray record of {@code left} when there is one. */
    private static Journal.Record[] withStray(@Nullable Landed left, Journal.Record... records) {
        if (left == null) {
            return records;
        }
        Journal.Record[] out = java.util.Arrays.copyOf(records, records.length + 1);
        out[records.length] = new Journal.Stray(left.key(), left.etag());
        return out;
    }

    /** {@code left}, now in the journal, is a stray to delete (see {@link #strayLeft}). */
    private void strayRecorded(@Nullable Landed left) {
        if (left != null) {
            strays.put(left.key(), left.etag());
        }
    }

    /**
     * An upload of {@code f}, sent under the name {@code sentPath}, landed in S3 as {@code key} and {@code etag};
     * called as it lands, before its bookkeeping (which may wait for a thread). When the file has been renamed or
     * removed since, the object is a stray at once: journaled, so that a crash before the bookkeeping leaves it to
     * the next start. Otherwise a rename or removal of the file before {@link #bookkeepingEnded} journals it so, and
     * the journal (not forced) takes the object as the file's base version: after a crash the file goes up again
     * replacing it (If-Match), not as a conflict with an object someone else put there.
     */
    synchronized void landed(StagedFile f, String sentPath, String key, String etag) {
        if (byId.get(f.id) == f && f.path.equals(sentPath)) {
            landed.put(f, new Landed(key, etag));
            try {
                journal.append(new Journal.Base(f.id, etag));
            } catch (UncheckedIOException e) {
                LOG.warn("the staging journal could not record that /{} landed in S3: {}", f.path, e.getMessage());
            }
            return;
        }
        try {
            strayLeft(key, etag);
        } catch (FsException e) {
            LOG.warn("the object uploaded as S3 key {} for /{}, renamed or removed meanwhile, is not journaled ({}); "
                    + "a crash before it is deleted would leave it in S3", key, sentPath, e.getMessage());
        }
    }

    /** The bookkeeping of {@code f}'s upload ended: what it landed is the file's, or dealt with. */
    synchronized void bookkeepingEnded(StagedFile f) {
        landed.remove(f);
    }

    /**
     * The object {@link #strayLeft} named was deleted or handed over; forced, as the key may hold an object with the
     * same ETag again (the same bytes uploaded again), which a record surviving a crash would have the next start
     * delete.
     */
    synchronized void strayDone(String key) {
        if (strays.remove(key) != null) {
            try {
                journal.appendAndForce(new Journal.StrayDone(key));
            } catch (UncheckedIOException e) {
                LOG.warn("the staging journal could not record that s3 key {} was dealt with: {}", key,
                        e.getMessage());
            }
        }
    }

    /**
     * A write through the gateway is about to put an object under {@code key}: an object an upload left there (a
     * stray not dealt with yet) is deleted first, while it is still that version, and its record cleared, so that
     * the record never outlives it and the new object, should it hold the same bytes (the same ETag), is never taken
     * for it at a start. Called with the file system's namespace lock held; makes an S3 request only when there is
     * such an object.
     */
    void settleStray(String key, io.prefetchd.gateway.s3.ObjectStore store) {
        String etag;
        synchronized (this) {
            etag = strays.get(key);
        }
        if (etag == null) {
            return;
        }
        try {
            store.delete(key, etag);
            strayDone(key);
        } catch (io.prefetchd.gateway.s3.ObjectStoreException e) {
            LOG.warn("s3 key {}: an object left there by an upload could not be deleted before a write onto it: {}",
                    key, e.getMessage());
        }
    }

    /** Objects left by uploads of files renamed or removed meanwhile, not dealt with yet: key to ETag. */
    synchronized Map<String, String> pendingStrays() {
        return Map.copyOf(strays);
    }

    /** Multipart uploads begun and not ended: upload id to key. */
    synchronized Map<String, String> pendingMultiparts() {
        return Map.copyOf(multiparts);
    }

    /** Takes {@code bytes} of the budget for a write to {@code path}, or fails with NOSPC. */
    void reserve(long bytes, String path) throws FsException {
        while (true) {
            long u = used.get();
            if (u + bytes > capacity) {
                throw new FsException(FsError.NOSPC, "the staging area is full (" + Sizes.format(u)
                        + " of " + Sizes.format(capacity) + " staged): no room for " + bytes + " more bytes of /"
                        + path);
            }
            if (used.compareAndSet(u, u + bytes)) {
                return;
            }
        }
    }

    void release(long bytes) {
        used.addAndGet(-bytes);
    }

    private void index(StagedFile f) {
        byId.put(f.id, f);
        byPath.put(f.path, f);
        byParent.computeIfAbsent(f.parentPath(), k -> ConcurrentHashMap.newKeySet()).add(f);
    }

    private void unindex(StagedFile f) {
        byPath.remove(f.path, f);
        Set<StagedFile> siblings = byParent.get(f.parentPath());
        if (siblings != null) {
            siblings.remove(f);
            if (siblings.isEmpty()) {
                byParent.remove(f.parentPath(), siblings);
            }
        }
    }

    private void maybeCompact() {
        if (journal.appendedSinceRewrite() > COMPACT_AFTER + 2L * (byId.size() + known.size())) {
            try {
                compact();
            } catch (IOException e) {
                LOG.warn("the staging journal could not be compacted (it keeps growing): {}", e.getMessage());
            }
        }
    }

    /** Rewrites the journal as the live state. */
    synchronized void compact() throws IOException {
        List<Journal.Record> live = new ArrayList<>();
        for (StagedFile f : byId.values()) {
            Landed l = landed.get(f);   // journaled as the file's base when it landed (see landed)
            String base = l != null ? l.etag() : f.baseEtag;
            live.add(new Journal.Create(f.id, f.path, f.owner(), f.mtime(), base,
                    f.conditional && base == null, f.verifier));
        }
        for (Map.Entry<String, ObjectAttributes> k : known.entrySet()) {
            live.add(new Journal.Known(k.getKey(), k.getValue()));
        }
        for (Map.Entry<String, String> d : dirRenames.entrySet()) {
            live.add(new Journal.DirRename(d.getKey(), d.getValue()));
        }
        for (Map.Entry<String, String> m : multiparts.entrySet()) {
            live.add(new Journal.Multipart(m.getValue(), m.getKey()));
        }
        for (Map.Entry<String, String> t : strays.entrySet()) {
            live.add(new Journal.Stray(t.getKey(), t.getValue()));
        }
        journal.rewrite(Journal.snapshot(new Journal.Boot(boots, nextId), live));
    }

    /** As {@link #ioError(String, Throwable)} for the I/O error a journal append wraps. */
    static FsException ioError(String what, UncheckedIOException e) {
        return ioError(what, requireNonNull(e.getCause(), "an UncheckedIOException always has a cause"));
    }

    static FsException ioError(String what, Throwable e) {
        String m = String.valueOf(e.getMessage());
        FsError status = m.contains("No space left") ? FsError.NOSPC
                : m.contains("Disk quota") ? FsError.DQUOT : FsError.IO;
        return new FsException(status, what + " failed in the staging area: " + m, e);
    }

    private static void deleteQuietly(Path f) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            LOG.warn("cannot delete staged file {}: {}", f, e.getMessage());
        }
    }

    @Override
    public synchronized void close() {
        byId.values().forEach(StagedFile::retire);
        journal.close();
    }
}
