package io.prefetchd.gateway.fs;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.prefetchd.gateway.cache.CacheStats;
import io.prefetchd.gateway.cache.ExtentCache;
import io.prefetchd.gateway.cache.ObjectVersion;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.s3.ListPage;
import io.prefetchd.gateway.s3.ObjectMeta;
import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.s3.ObjectStoreException;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;

import static java.util.Objects.requireNonNull;

/**
 * A read-only file system view of {@code bucket/prefix}.
 *
 * <p><b>Mapping.</b> A directory is a key prefix ending in '/': ListObjectsV2 with delimiter '/' gives its
 * files (objects) and subdirectories (common prefixes). Names that cannot be POSIX names (empty, ".", "..",
 * longer than 255 bytes) are left out. When an object {@code a} and keys under {@code a/} both exist, the file
 * wins, in listings and lookups alike. An object whose key ends in '/' is a folder marker: it makes
 * an empty directory exist and is not itself listed. See docs/SEMANTICS.md.
 *
 * <p><b>Caching.</b> Attributes (from HEAD or from a listing) and directory listings are cached for
 * {@code attributeTtl}; a missing name is cached as missing for the same time. Listings are snapshots: the
 * snapshot's verifier (a hash of its names) is the READDIR cookie verifier and the directory's change
 * attribute; snapshots stay readable by verifier for a while after they are refreshed, so a client paging
 * through a large directory never sees its cookies go bad.
 *
 * <p><b>Bytes.</b> Reads go through the {@link ExtentCache} with the exact (key, ETag, size) the caller
 * pinned, so bytes of two versions of an object are never mixed.
 *
 * <p>Thread-safe: the caches are concurrent and everything else is immutable.
 */
public final class S3FileSystem implements VirtualFileSystem {
    private static final int LIST_PAGE = 1000;
    private static final int MAX_NAME_BYTES = 255;
    private static final long DIR_SIZE = 4096;

    private final ObjectStore store;
    private final String prefix;
    private final ExtentCache cache;
    private final ToLongFunction<Inode> fileIds;
    private final Instant mountTime;
    private final Cache<String, Optional<FileAttributes>> fileAttrs;
    private final Cache<String, Listing> listings;
    private final Cache<String, Listing> snapshots;
    /** Whether keys exist under {@code path/}, for lookups outside a cached listing; expires like attributes. */
    private final Cache<String, Boolean> dirProbes;

    /** A directory snapshot plus its name index and whether the prefix exists at all. */
    private record Listing(DirListing listing, Map<String, DirEntry> byName, boolean exists, Instant mtime) {}

    /**
     * @param prefix   key prefix of the export, "" for the whole bucket (a trailing '/' is added when missing)
     * @param fileIds  stable file ids (inode numbers) for names
     * @param clock    time for cache expiry; its instant at construction is the directories' default mtime
     */
    public S3FileSystem(ObjectStore store, String prefix, ExtentCache cache, ToLongFunction<Inode> fileIds,
                        Duration attributeTtl, Clock clock) {
        this.store = requireNonNull(store, "store is null");
        this.prefix = normalizePrefix(requireNonNull(prefix, "prefix is null"));
        this.cache = requireNonNull(cache, "cache is null");
        this.fileIds = requireNonNull(fileIds, "fileIds is null");
        requireNonNull(clock, "clock is null");
        this.mountTime = clock.instant();
        Ticker ticker = () -> TimeUnit.MILLISECONDS.toNanos(clock.millis());
        this.fileAttrs = Caffeine.newBuilder().ticker(ticker).expireAfterWrite(attributeTtl).maximumSize(1_000_000)
                .build();
        this.listings = Caffeine.newBuilder().ticker(ticker).expireAfterWrite(attributeTtl)
                .maximumWeight(4_000_000).weigher((String k, Listing l) -> 1 + l.listing().entries().size()).build();
        this.dirProbes = Caffeine.newBuilder().ticker(ticker).expireAfterWrite(attributeTtl).maximumSize(1_000_000)
                .build();
        this.snapshots = Caffeine.newBuilder().ticker(ticker).expireAfterAccess(Duration.ofMinutes(10))
                .maximumWeight(4_000_000).weigher((String k, Listing l) -> 1 + l.listing().entries().size()).build();
    }

    /** The prefix as keys are built from it: no leading '/', one trailing '/' unless empty. */
    public static String normalizePrefix(String p) {
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        return p.isEmpty() || p.endsWith("/") ? p : p + "/";
    }

    private String key(Inode file) {
        return prefix + file.path();
    }

    private String dirPrefix(String dirPath) {
        return dirPath.isEmpty() ? prefix : prefix + dirPath + "/";
    }

    @Override
    public FileAttributes getattr(Inode inode) throws NfsException {
        if (inode.isDirectory()) {
            Listing l = listing(inode.path());
            if (!l.exists() && !inode.isRoot()) {
                throw new NfsException(NfsStatus.NFS4ERR_STALE, "directory " + inode.path() + " no longer exists");
            }
            return dirAttributes(inode, l);
        }
        return fileAttributes(inode.path()).orElseThrow(
                () -> new NfsException(NfsStatus.NFS4ERR_STALE, "object " + key(inode) + " no longer exists"));
    }

    private FileAttributes dirAttributes(Inode dir, Listing l) {
        return new FileAttributes(FileType.DIRECTORY, DIR_SIZE, fileIds.applyAsLong(dir), l.listing().verifier(),
                l.mtime(), null);
    }

    private Optional<FileAttributes> fileAttributes(String path) throws NfsException {
        Optional<FileAttributes> cached = fileAttrs.getIfPresent(path);
        if (cached != null) {
            return cached;
        }
        Optional<FileAttributes> a;
        try {
            a = store.head(prefix + path).map(m -> toAttributes(path, m));
        } catch (ObjectStoreException e) {
            throw StoreErrors.toNfs(e);
        }
        fileAttrs.put(path, a);
        return a;
    }

    private FileAttributes toAttributes(String path, ObjectMeta m) {
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
    public Inode lookup(Inode dir, String name) throws NfsException {
        if (!dir.isDirectory()) {
            throw new NfsException(NfsStatus.NFS4ERR_NOTDIR, dir.path() + " is not a directory");
        }
        String path = dir.child(name);
        Listing l = listings.getIfPresent(dir.path());
        if (l != null) {
            DirEntry e = l.byName().get(name);
            if (e == null) {
                throw new NfsException(NfsStatus.NFS4ERR_NOENT, "no " + name + " in /" + dir.path());
            }
            return e.inode();
        }
        if (fileAttributes(path).isPresent()) {
            return new Inode(FileType.REGULAR, path);
        }
        Boolean isDir = dirProbes.getIfPresent(path);
        if (isDir == null) {
            try {
                ListPage page = store.list(dirPrefix(path), "/", null, 1);
                isDir = !page.objects().isEmpty() || !page.commonPrefixes().isEmpty();
            } catch (ObjectStoreException e) {
                throw StoreErrors.toNfs(e);
            }
            dirProbes.put(path, isDir);
        }
        if (isDir) {
            return new Inode(FileType.DIRECTORY, path);
        }
        throw new NfsException(NfsStatus.NFS4ERR_NOENT, "no " + name + " in /" + dir.path());
    }

    @Override
    public DirListing list(Inode dir, long verifier) throws NfsException {
        if (!dir.isDirectory()) {
            throw new NfsException(NfsStatus.NFS4ERR_NOTDIR, dir.path() + " is not a directory");
        }
        Listing current = listing(dir.path());
        if (!current.exists() && !dir.isRoot()) {
            throw new NfsException(NfsStatus.NFS4ERR_STALE, "directory " + dir.path() + " no longer exists");
        }
        if (verifier == 0 || verifier == current.listing().verifier()) {
            return current.listing();
        }
        Listing old = snapshots.getIfPresent(dir.path() + "\0" + verifier);
        if (old == null) {
            throw new NfsException(NfsStatus.NFS4ERR_NOT_SAME, "directory " + dir.path() + " changed while listed");
        }
        return old.listing();
    }

    private Listing listing(String dirPath) throws NfsException {
        try {
            return listings.get(dirPath, this::load);
        } catch (ObjectStoreException e) {
            throw StoreErrors.toNfs(e);
        }
    }

    private Listing load(String dirPath) {
        String p = dirPrefix(dirPath);
        TreeMap<String, DirEntry> byName = new TreeMap<>();
        Map<String, Boolean> dirs = new HashMap<>();
        boolean exists = false;
        Instant newest = null;
        String token = null;
        do {
            ListPage page = store.list(p, "/", token, LIST_PAGE);
            for (ObjectMeta m : page.objects()) {
                exists = true;
                String name = m.key().substring(p.length());
                if (!validName(name)) {
                    continue;   // the folder marker itself (name ""), or a name POSIX cannot hold
                }
                String path = dirPath.isEmpty() ? name : dirPath + "/" + name;
                FileAttributes a = toAttributes(path, m);
                fileAttrs.put(path, Optional.of(a));
                byName.put(name, new DirEntry(name, new Inode(FileType.REGULAR, path), a));
                newest = newest == null || m.lastModified().isAfter(newest) ? m.lastModified() : newest;
            }
            for (String cp : page.commonPrefixes()) {
                exists = true;
                String name = cp.substring(p.length(), cp.length() - 1);
                if (validName(name)) {
                    dirs.put(name, Boolean.TRUE);
                }
            }
            token = page.nextToken();
        } while (token != null);
        for (String name : dirs.keySet()) {
            if (!byName.containsKey(name)) {   // the file wins over the directory of the same name
                String path = dirPath.isEmpty() ? name : dirPath + "/" + name;
                Inode inode = new Inode(FileType.DIRECTORY, path);
                Listing sub = listings.getIfPresent(path);
                FileAttributes a = sub != null ? dirAttributes(inode, sub)
                        : new FileAttributes(FileType.DIRECTORY, DIR_SIZE, fileIds.applyAsLong(inode),
                                FileAttributes.UNKNOWN_CHANGE, mountTime, null);
                byName.put(name, new DirEntry(name, inode, a));
            }
        }
        List<DirEntry> entries = new ArrayList<>(byName.values());
        long verifier = verifierOf(entries);
        Listing l = new Listing(new DirListing(verifier, entries), Map.copyOf(byName), exists,
                newest == null ? mountTime : newest);
        snapshots.put(dirPath + "\0" + verifier, l);
        return l;
    }

    private static boolean validName(String name) {
        return !name.isEmpty() && !name.equals(".") && !name.equals("..") && name.indexOf('/') < 0
                && name.indexOf('\0') < 0 && name.getBytes(StandardCharsets.UTF_8).length <= MAX_NAME_BYTES;
    }

    private static long verifierOf(List<DirEntry> entries) {
        long h = 0xcbf29ce484222325L;
        for (DirEntry e : entries) {
            for (int i = 0; i < e.name().length(); i++) {
                h = (h ^ e.name().charAt(i)) * 0x100000001b3L;
            }
            h = (h ^ (e.inode().isDirectory() ? '/' : '\n')) * 0x100000001b3L;
        }
        return h == 0 ? 1 : h;
    }

    @Override
    public ReadResult read(Inode file, FileAttributes version, long offset, int count) throws NfsException {
        if (offset >= version.size() || count <= 0) {
            return ReadResult.EMPTY;
        }
        try {
            ExtentCache.CachedRead r = cache.readTracked(new ObjectVersion(key(file), version.etag(), version.size()),
                    offset, count);
            return new ReadResult(r.data(), r.missedBlocks() > 0, r.waitNanos());
        } catch (ObjectStoreException e) {
            if (e.kind() == ObjectStoreException.Kind.CHANGED || e.kind() == ObjectStoreException.Kind.NOT_FOUND) {
                fileAttrs.invalidate(file.path());
            }
            throw StoreErrors.toNfs(e);
        }
    }

    /** The S3 key of a file of this export. */
    public String key(String path) {
        return prefix + path;
    }

    @Override
    public FsStats statfs() {
        CacheStats s = cache.stats();
        return new FsStats(s.capacityBytes(), Math.max(0, s.capacityBytes() - s.usedBytes()), 1L << 32, 0);
    }
}
