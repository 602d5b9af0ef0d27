package io.prefetchd.gateway.fs;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A snapshot of one directory, its entries sorted by the UTF-8 bytes of their names ({@link #NAME_ORDER}, S3's own
 * key order). {@code verifier} identifies the snapshot (a hash of its names). A READDIR cookie names an entry by its
 * position and a hash of its name ({@link #nameHash}), so it can be resumed in this snapshot and, by name, in any
 * later one (see docs/SEMANTICS.md).
 *
 * <p>The entries of a directory read from S3 are held packed (a few arrays, sorted by the UTF-8 bytes of their
 * names) and made into {@link DirEntry} values one at a time as they are read, so a snapshot of a million entries
 * is tens of megabytes, not hundreds; other lists are kept as given (copied).
 */
public record DirListing(long verifier, List<DirEntry> entries) {
    static final long FNV_OFFSET = 0xcbf29ce484222325L;
    static final long FNV_PRIME = 0x100000001b3L;

    /** The order of entries in a listing: their names' UTF-8 bytes, compared unsigned. */
    public static final Comparator<String> NAME_ORDER = (a, b) -> Arrays.compareUnsigned(
            a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

    public DirListing {
        entries = entries instanceof PackedEntries ? entries : List.copyOf(entries);
    }

    /** A 64-bit FNV-1a hash of a name's UTF-8 bytes: stable across snapshots, restarts and gateways. */
    public static long nameHash(byte[] utf8Name) {
        return nameHash(utf8Name, 0, utf8Name.length);
    }

    static long nameHash(byte[] bytes, int from, int to) {
        long h = FNV_OFFSET;
        for (int i = from; i < to; i++) {
            h = (h ^ (bytes[i] & 0xff)) * FNV_PRIME;
        }
        return h;
    }

    /** {@link #nameHash(byte[])} of the name of entry {@code i}, without making the entry when the list is packed. */
    public long nameHash(int i) {
        return entries instanceof PackedEntries p ? p.nameHash(i)
                : nameHash(entries.get(i).name().getBytes(StandardCharsets.UTF_8));
    }

    /** The position of the first entry whose name sorts after {@code name} (the entry count when none does). */
    public int indexAfter(String name) {
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        if (entries instanceof PackedEntries p) {
            int i = p.indexOf(utf8);
            return i >= 0 ? i + 1 : -(i + 1);
        }
        int lo = 0;
        int hi = entries.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Arrays.compareUnsigned(entries.get(mid).name().getBytes(StandardCharsets.UTF_8), utf8) <= 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** The entry named {@code name}, or null: a binary search of a packed listing, a scan of another. */
    public @Nullable DirEntry find(String name) {
        if (entries instanceof PackedEntries p) {
            return p.find(name);
        }
        for (DirEntry e : entries) {
            if (e.name().equals(name)) {
                return e;
            }
        }
        return null;
    }

    /**
     * A hash of the names (their UTF-8 bytes) and their kinds, in order: the READDIR cookie verifier and the
     * directory's change attribute. Two listings with the same names of the same kinds in the same order have the
     * same verifier, wherever they were built.
     */
    public static long verifierOf(List<DirEntry> entries) {
        if (entries instanceof PackedEntries p) {
            return p.verifier();
        }
        long h = FNV_OFFSET;
        for (DirEntry e : entries) {
            for (byte b : e.name().getBytes(StandardCharsets.UTF_8)) {
                h = (h ^ (b & 0xff)) * FNV_PRIME;
            }
            h = (h ^ (e.inode().isDirectory() ? '/' : '\n')) * FNV_PRIME;
        }
        return h == 0 ? 1 : h;
    }

    /**
     * The weight of {@code bytes} of listings in a cache of {@code budget} bytes: their heap, but more than half the
     * budget counts as just over half, so that a directory too large for the budget is still held, alone, rather
     * than read or sorted again for every page; at least 1, so that even a zero budget holds nothing for long.
     */
    public static int cacheWeight(long bytes, long budget) {
        return (int) Math.max(1, Math.min(Math.min(bytes, budget / 2 + 1), Integer.MAX_VALUE));
    }

    /** Roughly the heap the snapshot holds, for cache weights. */
    public long retainedBytes() {
        return entries instanceof PackedEntries p ? p.retainedBytes() : 64 + 250L * entries.size();
    }
}
