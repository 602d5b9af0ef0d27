package io.prefetchd.gateway.s3api;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.prefetchd.gateway.fs.DirEntry;
import io.prefetchd.gateway.fs.DirListing;
import io.prefetchd.gateway.fs.FileType;
import io.prefetchd.gateway.fs.FsError;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.MetadataSettings;
import io.prefetchd.gateway.fs.VirtualFileSystem;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * ListObjects over the file system's tree, with S3's semantics: keys (paths of files, relative to the export) in
 * UTF-8 byte order, those after the marker and starting with the prefix; with a delimiter, keys whose remainder
 * after the prefix contains it are rolled up into one common prefix each; at most {@code maxKeys} keys and common
 * prefixes a page.
 *
 * <p><b>How.</b> A depth-first walk of directories in key order (a directory {@code d} is the key range
 * {@code d/...}, so visiting siblings sorted by key, directories as {@code name/}, yields keys in global order). The
 * walk starts at the deepest directory the prefix names, skips to the marker by binary search in each directory,
 * stops at the first key past the prefix, and, when the delimiter falls inside a directory's own key (always, for
 * {@code /}), answers the directory as one common prefix without listing it. Directory listings come from the file
 * system (held in memory for indexed datasets, cached and revalidated elsewhere); their sorted form is kept by
 * snapshot verifier, so paging through a large directory sorts it once.
 *
 * <p><b>Differences from S3, by the namespace's rules</b> (docs/SEMANTICS.md): folder markers (keys ending in
 * {@code /}) are not listed as objects, and keys the file system does not show (names POSIX cannot hold, a
 * directory hidden by a file of the same name) are not listed.
 *
 * <p><b>Pages.</b> The continuation token is the last key or common prefix of the page (base64url, tagged), so a
 * page after a common prefix skips everything under it. As in S3, a common prefix is listed only when it sorts after
 * the marker (start-after, a v1 marker, or the token), so a v1 NextMarker that is a common prefix pages correctly. Thread-safe: the sorted-listing cache is concurrent.
 */
final class BucketListing {
    static final int MAX_KEYS = 1000;
    /** Heap for sorted listings: as much as the file system's listings get by default (a fixed limit). */
    static final long DEFAULT_HEAP_BYTES = MetadataSettings.DEFAULT_LISTING_CACHE_BYTES;
    /**
     * Roughly the heap an item holds: the record, its key, and its entry, which no listing shares when the directory
     * is an indexed dataset's (whose names are held packed, and become entries only when listed).
     */
    private static final int ITEM_BYTES = 400;

    private final VirtualFileSystem fs;
    /** Sorted listings by directory and snapshot verifier, weighed in bytes ({@link DirListing#cacheWeight}). */
    private final Cache<String, Item[]> sorted;

    /** A file ({@code dir} false, key = its path) or a directory (key = its path and '/'). */
    record Item(String key, DirEntry entry) {
        boolean dir() {
            return entry.inode().isDirectory();
        }
    }

    /** Where a page starts: after key {@code value}, or after every key under common prefix {@code value}. */
    record Marker(String value, boolean rollup) {
        Marker {
            requireNonNull(value, "value is null");
        }

        String token() {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(
                    ((rollup ? "P" : "K") + value).getBytes(StandardCharsets.UTF_8));
        }

        /** @throws IllegalArgumentException when {@code token} is not one of ours */
        static Marker ofToken(String token) {
            String s = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            if (s.isEmpty() || s.charAt(0) != 'P' && s.charAt(0) != 'K') {
                throw new IllegalArgumentException("not a continuation token: " + token);
            }
            return new Marker(s.substring(1), s.charAt(0) == 'P');
        }
    }

    record Page(List<Item> objects, List<String> commonPrefixes, boolean truncated, @Nullable Marker next) {
    }

    BucketListing(VirtualFileSystem fs) {
        this(fs, DEFAULT_HEAP_BYTES);
    }

    BucketListing(VirtualFileSystem fs, long heapBytes) {
        this.fs = requireNonNull(fs, "fs is null");
        this.sorted = Caffeine.newBuilder().maximumWeight(heapBytes)
                .weigher((String k, Item[] v) -> DirListing.cacheWeight(bytes(v), heapBytes)).build();
    }

    private static long bytes(Item[] items) {
        return 64 + (long) ITEM_BYTES * items.length;
    }

    /** Roughly the heap the sorted listings held take, for tests. */
    long heldBytes() {
        sorted.cleanUp();
        return sorted.asMap().values().stream().mapToLong(BucketListing::bytes).sum();
    }

    /**
     * @param prefix "" for every key
     * @param delimiter "" for a flat listing
     * @param after null from the first key
     * @throws FsException when a listing the page needs cannot be read
     */
    Page list(String prefix, String delimiter, @Nullable Marker after, int maxKeys) throws FsException {
        requireNonNull(prefix, "prefix is null");
        requireNonNull(delimiter, "delimiter is null");
        Walk w = new Walk(prefix, delimiter, after, Math.max(0, Math.min(maxKeys, MAX_KEYS)));
        if (w.max > 0) {
            int slash = prefix.lastIndexOf('/');
            String dir = slash < 0 ? "" : prefix.substring(0, slash);
            if (validDirPath(dir)) {
                w.dir(dir, dir.isEmpty() ? "" : dir + "/");
            }
        }
        Marker next = null;
        if (w.truncated) {
            // a truncated walk stopped after at least one key or prefix
            next = w.lastWasPrefix ? new Marker(requireNonNull(w.lastPrefix, "truncated after a prefix"), true)
                    : new Marker(requireNonNull(w.lastKey, "truncated after a key"), false);
        }
        return new Page(w.objects, w.prefixes, w.truncated, next);
    }

    /** Whether {@code path} can name a directory of the tree: no empty, "." or ".." component. */
    private static boolean validDirPath(String path) {
        if (path.isEmpty()) {
            return true;
        }
        for (String c : path.split("/", -1)) {
            if (c.isEmpty() || c.equals(".") || c.equals("..")) {
                return false;
            }
        }
        return true;
    }

    /** The directory's entries sorted by key, or null when it does not exist. */
    private Item @Nullable [] sortedEntries(String dirPath, String dirKey) throws FsException {
        DirListing l;
        try {
            l = fs.list(new Inode(FileType.DIRECTORY, dirPath), 0);
        } catch (FsException e) {
            if (e.error() == FsError.STALE || e.error() == FsError.NOENT
                    || e.error() == FsError.NOTDIR) {
                return null;
            }
            throw e;
        }
        String cacheKey = dirPath + "\0" + l.verifier();
        Item[] items = sorted.getIfPresent(cacheKey);
        if (items == null) {
            items = new Item[l.entries().size()];
            int i = 0;
            for (DirEntry e : l.entries()) {
                items[i++] = new Item(dirKey + e.name() + (e.inode().isDirectory() ? "/" : ""), e);
            }
            Arrays.sort(items, (a, b) -> compareKeys(a.key(), b.key()));
            sorted.put(cacheKey, items);
        }
        return items;
    }

    /** Compares by code point, which orders as the UTF-8 bytes do. */
    static int compareKeys(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char x = a.charAt(i);
            char y = b.charAt(i);
            if (x != y) {
                boolean sx = Character.isSurrogate(x);
                if (sx != Character.isSurrogate(y)) {
                    return sx ? 1 : -1;   // a code point above U+FFFF sorts after every BMP one
                }
                return x - y;
            }
        }
        return a.length() - b.length();
    }

    /** One page's walk. Not thread-safe. */
    private final class Walk {
        final String prefix;
        final String delimiter;
        final @Nullable Marker after;
        final int max;
        final List<Item> objects = new ArrayList<>();
        final List<String> prefixes = new ArrayList<>();
        int count;
        boolean truncated;
        @Nullable String lastKey;
        @Nullable String lastPrefix;
        boolean lastWasPrefix;

        Walk(String prefix, String delimiter, @Nullable Marker after, int max) {
            this.prefix = prefix;
            this.delimiter = delimiter;
            this.after = after;
            this.max = max;
        }

        void dir(String dirPath, String dirKey) throws FsException {
            Item[] items = sortedEntries(dirPath, dirKey);
            if (items == null) {
                return;
            }
            String from = after != null && compareKeys(after.value(), prefix) > 0 ? after.value() : prefix;
            int i = insertionPoint(items, from);
            if (i > 0 && items[i - 1].dir() && from.startsWith(items[i - 1].key())) {
                i--;   // the directory whose keys the start point falls among
            }
            for (; i < items.length && !truncated; i++) {
                Item it = items[i];
                if (!it.key().startsWith(prefix) && !prefix.startsWith(it.key())) {
                    if (compareKeys(it.key(), prefix) > 0) {
                        return;   // past every key with the prefix
                    }
                    continue;
                }
                if (it.dir()) {
                    visitDir(it);
                } else {
                    visitFile(it);
                }
            }
        }

        private void visitFile(Item it) {
            String key = it.key();
            if (!key.startsWith(prefix) || past(key)) {
                return;
            }
            String cp = rollup(key);
            if (cp != null) {
                emitPrefix(cp);
            } else {
                emitObject(it);
            }
        }

        private void visitDir(Item it) throws FsException {
            String key = it.key();
            if (!key.startsWith(prefix)) {
                dir(it.entry().inode().path(), key);   // the prefix reaches inside this directory
                return;
            }
            if (after != null) {
                if (after.rollup() && key.startsWith(after.value())) {
                    return;   // everything here was on earlier pages
                }
                if (compareKeys(key, after.value()) < 0 && !after.value().startsWith(key)) {
                    return;   // every key here sorts before the marker
                }
            }
            String cp = rollup(key);
            if (cp != null) {   // every key here rolls up into cp: no need to list the directory
                emitPrefix(cp);
                return;
            }
            dir(it.entry().inode().path(), key);
        }

        private boolean past(String key) {
            if (after == null) {
                return false;
            }
            return compareKeys(key, after.value()) <= 0 || after.rollup() && key.startsWith(after.value());
        }

        /** The common prefix {@code key} rolls up into, or null when it is listed itself. */
        private @Nullable String rollup(String key) {
            if (delimiter.isEmpty()) {
                return null;
            }
            int at = key.indexOf(delimiter, prefix.length());
            return at < 0 ? null : key.substring(0, at + delimiter.length());
        }

        /** A common prefix, unless it is the previous one or not after the marker (it was on an earlier page). */
        private void emitPrefix(String cp) {
            if (cp.equals(lastPrefix) || after != null && compareKeys(cp, after.value()) <= 0) {
                return;
            }
            if (count == max) {
                truncated = true;
                return;
            }
            count++;
            prefixes.add(cp);
            lastPrefix = cp;
            lastWasPrefix = true;
        }

        private void emitObject(Item it) {
            if (count == max) {
                truncated = true;
                return;
            }
            count++;
            objects.add(it);
            lastKey = it.key();
            lastWasPrefix = false;
        }

        private int insertionPoint(Item[] items, String key) {
            int lo = 0;
            int hi = items.length;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (compareKeys(items[mid].key(), key) < 0) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }
    }
}
