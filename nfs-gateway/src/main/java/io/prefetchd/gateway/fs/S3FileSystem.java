package io.prefetchd.gateway.fs;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.prefetchd.gateway.cache.CacheStats;
import io.prefetchd.gateway.cache.ExtentCache;
import io.prefetchd.gateway.cache.ObjectVersion;
import io.prefetchd.gateway.s3.ListPage;
import io.prefetchd.gateway.s3.ObjectMeta;
import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.s3.ObjectStoreException;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * A read-only file system view of {@code bucket/prefix}.
 *
 * <p><b>Mapping.</b> A directory is a key prefix ending in '/': ListObjectsV2 with delimiter '/' gives its
 * files (objects) and subdirectories (common prefixes). Naming rules are {@link ListingBuilder}'s. An object whose
 * key ends in '/' is a folder marker: it makes an empty directory exist and is not itself listed. See
 * docs/SEMANTICS.md.
 *
 * <p><b>Where answers come from.</b> Under an indexed dataset ({@link #pinDataset}) every name is held in memory,
 * listed in bulk ({@link DatasetNamespaces}): no LOOKUP, GETATTR, OPEN or READDIR there asks S3. Elsewhere, a
 * directory's listing, once read, answers for its names (no HEAD per file); a name in a directory not yet listed
 * is answered by a HEAD while the directory's listing is fetched in the background. Listings, HEAD answers and
 * missing names follow {@link Revalidating}'s rules: served for {@code ttl}, refreshed in the background up to
 * {@code 2 * ttl}, and served stale up to {@code maxStale} while S3 is unreachable or failing. What is not held
 * is asked of S3 on a metadata thread when the NFS layer first asks {@link #attributesKnown} or {@link #nameKnown},
 * so that an NFS worker never waits on a HEAD or a LIST.
 *
 * <p><b>Snapshots.</b> A listing's verifier (a hash of its names) is the READDIR cookie verifier and the
 * directory's change attribute; snapshots stay readable by verifier for a while after they are refreshed, so a
 * client paging through a large directory sees one consistent listing while its snapshot is held. One snapshot per
 * verifier is held, shared by every client; once it is evicted, a verifier gets the current listing, in which
 * READDIR cookies resume by name.
 *
 * <p><b>Memory.</b> Listings are held packed ({@link PackedEntries}, about 40 bytes per entry besides its name)
 * in caches weighed in bytes ({@link MetadataSettings#listingCacheBytes} for current listings, as much for older
 * snapshots);
 * HEAD answers and directory probes are bounded by count. The names of indexed datasets are held whole, in files
 * mapped from {@link MetadataSettings#namesDir} when it is set ({@link NamesFile}), so next to nothing of them is
 * on the heap. Nothing is held per object beyond that and what these caches hold.
 *
 * <p><b>Bytes.</b> Reads go through the {@link ExtentCache} with the exact (key, ETag, size) the caller
 * pinned, so bytes of two versions of an object are never mixed.
 *
 * <p>Thread-safe: the caches are concurrent and everything else is immutable.
 */
public final class S3FileSystem implements VirtualFileSystem {
    private static final int LIST_PAGE = 1000;
    /** HEAD answers and directory probes held (each a few hundred bytes): names of directories not listed yet. */
    private static final int NAMES_CACHED = 100_000;

    private final ObjectStore store;
    private final String prefix;
    private final ExtentCache cache;
    private final ToLongFunction<Inode> fileIds;
    private final Clock clock;
    private final Instant mountTime;
    private final Revalidating<Listing> listings;
    private final Revalidating<Known<Optional<FileAttributes>>> heads;
    private final Revalidating<Known<Boolean>> dirProbes;
    private final Cache<String, Listing> snapshots;
    private final long listingBytes;
    private final DatasetNamespaces datasets;
    private final Executor refresher;
    private final Counter fromDataset;
    private final Counter fromListing;
    private final Counter fromHead;

    /**
     * @param prefix    key prefix of the export, "" for the whole bucket (a trailing '/' is added when missing)
     * @param fileIds   stable file ids (inode numbers) for names
     * @param clock     time for freshness; its instant at construction is the directories' default mtime
     * @param refresher runs background refreshes, listing prefetches, and the S3 requests of LOOKUP, GETATTR and
     *                  OPEN misses ({@link #attributesKnown}, {@link #nameKnown}), so NFS workers never wait on them
     */
    public S3FileSystem(ObjectStore store, String prefix, ExtentCache cache, ToLongFunction<Inode> fileIds,
                        MetadataSettings settings, Clock clock, Executor refresher, MeterRegistry meters) {
        this.store = requireNonNull(store, "store is null");
        this.prefix = normalizePrefix(requireNonNull(prefix, "prefix is null"));
        this.cache = requireNonNull(cache, "cache is null");
        this.fileIds = requireNonNull(fileIds, "fileIds is null");
        this.clock = requireNonNull(clock, "clock is null");
        requireNonNull(settings, "settings is null");
        requireNonNull(meters, "meters is null");
        this.mountTime = clock.instant();
        Ticker ticker = () -> TimeUnit.MILLISECONDS.toNanos(clock.millis());
        Counter stale = Counter.builder("prefetchd.metadata.stale")
                .description("metadata answers served past their freshness bound because S3 could not be asked")
                .register(meters);
        Revalidating.Listener listener = new Revalidating.Listener() {
            @Override
            public void servedStale() {
                stale.increment();
            }

            @Override
            public void refreshFailed(ObjectStoreException e) {
                Counter.builder("prefetchd.metadata.refresh.failures").tag("kind", e.kind().name().toLowerCase())
                        .description("metadata refreshes that failed (the old answer was kept)").register(meters)
                        .increment();
            }
        };
        long listingBytes = settings.listingCacheBytes();
        this.listingBytes = listingBytes;
        Cache<String, Listing> listingCache = Caffeine.newBuilder().ticker(ticker).maximumWeight(listingBytes)
                .weigher((String dir, Listing l) -> weigh(l, listingBytes)).build();
        this.listings = new Revalidating<>(listingCache, this::load, settings, clock, refresher, listener);
        this.heads = new Revalidating<>(Caffeine.newBuilder().ticker(ticker).maximumSize(NAMES_CACHED).build(),
                this::head, settings, clock, refresher, listener);
        this.dirProbes = new Revalidating<>(Caffeine.newBuilder().ticker(ticker).maximumSize(NAMES_CACHED).build(),
                this::probeDir, settings, clock, refresher, listener);
        this.snapshots = Caffeine.newBuilder().ticker(ticker).expireAfterAccess(Duration.ofMinutes(10))
                .maximumWeight(listingBytes).weigher((String dir, Listing l) -> weigh(l, listingBytes)).build();
        this.refresher = requireNonNull(refresher, "refresher is null");
        this.datasets = new DatasetNamespaces(store, this::dirPrefix, fileIds, mountTime, clock, settings);
        for (boolean mapped : new boolean[] {false, true}) {
            Gauge.builder("prefetchd.metadata.dataset.names.bytes", datasets, d -> d.heldBytes(mapped))
                    .tag("where", mapped ? "file" : "heap").baseUnit("bytes")
                    .description("the names of indexed datasets held: on the heap, or in mapped files whose "
                            + "pages the kernel keeps or drops")
                    .register(meters);
        }
        this.fromDataset = answers(meters, "dataset");
        this.fromListing = answers(meters, "listing");
        this.fromHead = answers(meters, "head");
    }

    /** A listing's weight in the listing caches ({@link DirListing#cacheWeight}). */
    private static int weigh(Listing l, long budget) {
        return DirListing.cacheWeight(l.weight(), budget);
    }

    private static Counter answers(MeterRegistry meters, String source) {
        return Counter.builder("prefetchd.metadata.answers").tag("source", source)
                .description("LOOKUP and GETATTR answers by where they came from: a dataset's names held in "
                        + "memory, a directory listing, or a HEAD of the object")
                .register(meters);
    }

    /** The prefix as keys are built from it: no leading '/', one trailing '/' unless empty. */
    public static String normalizePrefix(String p) {
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        return p.isEmpty() || p.endsWith("/") ? p : p + "/";
    }

    /**
     * Holds the names of an indexed dataset in memory from now on (see {@link DatasetNamespaces}).
     *
     * @param folder the dataset's folder in the export ("" for the root)
     * @param recursive every level below {@code folder} (a folder dataset), or only its own entries (the folder
     *     of a WebDataset shard pattern)
     * @param onChange called when a later bulk listing finds the dataset's objects changed
     * @throws ObjectStoreException when the first listing fails
     */
    public void pinDataset(String folder, boolean recursive, Runnable onChange) {
        datasets.pin(folder, recursive, requireNonNull(onChange, "onChange is null"));
    }

    /**
     * The heap budget of current listings, and as much again of older snapshots; a view laid over this one holds its
     * own snapshots within as much again.
     */
    public long listingCacheBytes() {
        return listingBytes;
    }

    /** The dataset folders whose names are held in memory, for {@code /status}. */
    public List<String> heldDatasetFolders() {
        return datasets.roots();
    }

    /** Bytes of the held dataset names: in mapped files ({@code mapped}), or on the heap. */
    public long heldDatasetNameBytes(boolean mapped) {
        return datasets.heldBytes(mapped);
    }

    /** Lists again the datasets whose names are due for their bulk refresh; called periodically. */
    public void refreshDatasets() {
        datasets.refreshDue();
    }

    private String key(Inode file) {
        return prefix + file.path();
    }

    private String dirPrefix(String dirPath) {
        return dirPath.isEmpty() ? prefix : prefix + dirPath + "/";
    }

    @Override
    public FileAttributes getattr(Inode inode) throws FsException {
        if (inode.isDirectory()) {
            Listing l = listing(inode.path());
            if (!l.exists() && !inode.isRoot()) {
                throw new FsException(FsError.STALE, "directory " + inode.path() + " no longer exists");
            }
            return ListingBuilder.dirAttributes(inode, l, fileIds);
        }
        return fileAttributes(inode).orElseThrow(
                () -> new FsException(FsError.STALE, "object " + key(inode) + " no longer exists"));
    }

    /** A file's attributes: from its folder's listing when one is known, else from a HEAD. */
    private Optional<FileAttributes> fileAttributes(Inode file) throws FsException {
        Listing parent = knownListing(file.parentPath());
        if (parent != null) {
            DirEntry e = parent.find(file.name());
            return e == null || e.inode().isDirectory() ? Optional.empty() : Optional.of(e.attributes());
        }
        fromHead.increment();
        listings.prefetch(file.parentPath());
        try {
            return heads.get(file.path()).value();
        } catch (ObjectStoreException e) {
            throw StoreErrors.toFs(e);
        }
    }

    FileAttributes toAttributes(String path, ObjectMeta m) {
        Inode inode = new Inode(FileType.REGULAR, path);
        return new FileAttributes(FileType.REGULAR, m.size(), fileIds.applyAsLong(inode), changeOf(m.etag(), m.size()),
                m.lastModified(), m.etag());
    }

    static long changeOf(String etag, long size) {
        long h = 1125899906842597L;
        for (int i = 0; i < etag.length(); i++) {
            h = 31 * h + etag.charAt(i);
        }
        h = (h ^ (size * 0x9E3779B97F4A7C15L)) & Long.MAX_VALUE;
        return h == 0 ? 1 : h;
    }

    @Override
    public Inode lookup(Inode dir, String name) throws FsException {
        if (!dir.isDirectory()) {
            throw new FsException(FsError.NOTDIR, dir.path() + " is not a directory");
        }
        String path = dir.child(name);
        Listing l = knownListing(dir.path());
        if (l != null) {
            DirEntry e = l.find(name);
            if (e == null) {
                throw new FsException(FsError.NOENT, "no " + name + " in /" + dir.path());
            }
            return e.inode();
        }
        if (datasets.holds(path)) {
            return new Inode(FileType.DIRECTORY, path);   // a dataset's folder, in a parent not listed yet
        }
        Inode file = new Inode(FileType.REGULAR, path);
        if (fileAttributes(file).isPresent()) {
            return file;
        }
        boolean isDir;
        try {
            isDir = dirProbes.get(path).value();
        } catch (ObjectStoreException e) {
            throw StoreErrors.toFs(e);
        }
        if (isDir) {
            return new Inode(FileType.DIRECTORY, path);
        }
        throw new FsException(FsError.NOENT, "no " + name + " in /" + dir.path());
    }

    /** Runs getattr on a metadata thread unless what it needs is held (see {@link #attributesKnown}). */
    @Override
    public CompletableFuture<Void> attributesKnown(Inode inode) {
        boolean held = inode.isDirectory() ? listingHeld(inode.path())
                : listingHeld(inode.parentPath()) || heads.isHeld(inode.path());
        return held ? KNOWN : onMetadataThread(() -> getattr(inode));
    }

    /** Runs lookup (and getattr of a file it finds) on a metadata thread unless what they need is held. */
    @Override
    public CompletableFuture<Void> nameKnown(Inode dir, String name) {
        if (!dir.isDirectory()) {
            return KNOWN;
        }
        String path = dir.child(name);
        if (listingHeld(dir.path()) || datasets.holds(path) || headHeld(path)) {
            return KNOWN;
        }
        return onMetadataThread(() -> {
            Inode found = lookup(dir, name);
            if (!found.isDirectory()) {
                getattr(found);
            }
        });
    }

    /** Whether the directory's listing answers without S3: a dataset's, or one read at most 2 * ttl ago. */
    private boolean listingHeld(String dirPath) {
        return datasets.listing(dirPath) != null || listings.isHeld(dirPath);
    }

    /** Whether a HEAD answer (and, for a missing object, a directory probe) for {@code path} is held. */
    private boolean headHeld(String path) {
        if (!heads.isHeld(path)) {
            return false;
        }
        Known<Optional<FileAttributes>> head = heads.peek(path);
        return head != null && head.value().isPresent() || dirProbes.isHeld(path);
    }

    /** What a metadata thread runs for {@link #attributesKnown} and {@link #nameKnown}. */
    @FunctionalInterface
    private interface MetadataCall {
        void run() throws FsException;
    }

    private CompletableFuture<Void> onMetadataThread(MetadataCall call) {
        CompletableFuture<Void> known = new CompletableFuture<>();
        try {
            refresher.execute(() -> {
                try {
                    call.run();
                    known.complete(null);
                } catch (FsException | RuntimeException e) {
                    known.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            return KNOWN;   // shutting down: the caller asks S3 itself
        }
        return known;
    }

    @Override
    public DirListing list(Inode dir, long verifier) throws FsException {
        if (!dir.isDirectory()) {
            throw new FsException(FsError.NOTDIR, dir.path() + " is not a directory");
        }
        Listing current = listing(dir.path());
        if (!current.exists() && !dir.isRoot()) {
            throw new FsException(FsError.STALE, "directory " + dir.path() + " no longer exists");
        }
        if (verifier != 0 && verifier != current.listing().verifier()) {
            Listing old = snapshots.getIfPresent(dir.path() + "\0" + verifier);
            if (old != null) {
                return old.listing();
            }
        }
        // a snapshot a client is given stays readable by its verifier after the listing changes, while it is held
        snapshots.asMap().putIfAbsent(dir.path() + "\0" + current.listing().verifier(), current);
        return current.listing();
    }

    /** The directory's listing, read from S3 when nothing usable is known. */
    private Listing listing(String dirPath) throws FsException {
        Listing held = datasets.listing(dirPath);
        if (held != null) {
            return held;
        }
        try {
            return listings.get(dirPath);
        } catch (ObjectStoreException e) {
            throw StoreErrors.toFs(e);
        }
    }

    /**
     * The directory's listing when one is known (a dataset's, or one read before), without asking S3 unless the
     * gateway changed the directory since it was read: then it is listed again, or its listing of before is served
     * while S3 cannot answer.
     */
    private @Nullable Listing knownListing(String dirPath) throws FsException {
        Listing held = datasets.listing(dirPath);
        if (held != null) {
            fromDataset.increment();
            return held;
        }
        try {
            Listing l = listings.getIfSeen(dirPath);
            if (l != null) {
                fromListing.increment();
            }
            return l;
        } catch (ObjectStoreException e) {
            throw StoreErrors.toFs(e);
        }
    }

    private Listing load(String dirPath) {
        String p = dirPrefix(dirPath);
        ListingBuilder b = new ListingBuilder(dirPath);
        String token = null;
        do {
            ListPage page = store.list(p, "/", token, LIST_PAGE);
            for (ObjectMeta m : page.objects()) {
                b.addFile(m.key().substring(p.length()), m);   // the folder marker itself is name "": left out
            }
            for (String cp : page.commonPrefixes()) {
                b.addDir(cp.substring(p.length(), cp.length() - 1));
            }
            token = page.nextToken();
        } while (token != null);
        return b.build(d -> ListingBuilder.Subdir.of(knownSubListing(d)), fileIds, mountTime, clock.instant());
    }

    private @Nullable Listing knownSubListing(String dirPath) {
        Listing held = datasets.listing(dirPath);
        return held != null ? held : listings.getIfKnown(dirPath);
    }

    private Known<Optional<FileAttributes>> head(String path) {
        Optional<FileAttributes> a = store.head(prefix + path).map(m -> toAttributes(path, m));
        return new Known<>(a, clock.instant());
    }

    private Known<Boolean> probeDir(String path) {
        ListPage page = store.list(dirPrefix(path), "/", null, 1);
        return new Known<>(!page.objects().isEmpty() || !page.commonPrefixes().isEmpty(), clock.instant());
    }

    @Override
    public ReadResult read(Inode file, FileAttributes version, long offset, int count) throws FsException {
        if (offset >= version.size() || count <= 0) {
            return ReadResult.EMPTY;
        }
        try {
            ExtentCache.CachedRead r = cache.readTracked(objectVersion(file, version), offset, count);
            return new ReadResult(r.data(), r.missedBlocks() > 0, r.waitNanos());
        } catch (ObjectStoreException e) {
            throw readFailed(file, e);
        }
    }

    /** As {@link #read}, without waiting on S3: the future completes when the missing bytes have arrived. */
    @Override
    public CompletableFuture<ReadResult> readAsync(Inode file, FileAttributes version, long offset, int count) {
        if (offset >= version.size() || count <= 0) {
            return CompletableFuture.completedFuture(ReadResult.EMPTY);
        }
        CompletableFuture<ReadResult> result = new CompletableFuture<>();
        cache.readAsync(objectVersion(file, version), offset, count).whenComplete((r, failure) -> {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (cause == null) {
                result.complete(new ReadResult(r.data(), r.missedBlocks() > 0, r.waitNanos()));
            } else if (cause instanceof ObjectStoreException e) {
                result.completeExceptionally(readFailed(file, e));
            } else {
                result.completeExceptionally(cause);
            }
        });
        return result;
    }

    private ObjectVersion objectVersion(Inode file, FileAttributes version) {
        return new ObjectVersion(key(file), requireNonNull(version.etag(), "a file's attributes carry its etag"),
                version.size());
    }

    /**
     * The NFS status of a failed read; an object that changed or went away is forgotten, and its folder listed
     * again, so the client's next look finds what is there now.
     */
    private FsException readFailed(Inode file, ObjectStoreException e) {
        if (e.kind() == ObjectStoreException.Kind.CHANGED || e.kind() == ObjectStoreException.Kind.NOT_FOUND) {
            heads.invalidate(file.path());
            listings.prefetch(file.parentPath());
            datasets.flag(file.parentPath());
        }
        return StoreErrors.toFs(e);
    }

    /**
     * Forgets what is known of {@code path} and of the listing of its folder (and its own, for a directory), because
     * the gateway itself just changed it in S3: the next answer about it is asked of S3 again. A dataset holding the
     * folder lists it again at its next refresh round.
     */
    public void changed(String path) {
        requireNonNull(path, "path is null");
        String parent = new Inode(FileType.REGULAR, path).parentPath();
        heads.invalidate(path);
        dirProbes.invalidate(path);
        listings.invalidate(path);
        listings.invalidate(parent);
        datasets.flag(parent);
        datasets.flag(path);
    }

    /** The S3 key of a file of this export. */
    public String key(String path) {
        return prefix + path;
    }

    @Override
    public FsStats statfs() {
        CacheStats s = cache.stats();
        return new FsStats(s.capacityBytes(), Math.max(0, s.capacityBytes() - s.usedBytes()), FsStats.FILES, 0);
    }
}
