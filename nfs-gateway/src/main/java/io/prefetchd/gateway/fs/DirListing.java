package io.prefetchd.gateway.fs;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A snapshot of one directory. {@code verifier} identifies the snapshot (a hash of its names): READDIR cookies are
 * positions in it and stay valid as long as a snapshot with that verifier is kept (see docs/SEMANTICS.md).
 *
 * <p>The entries of a directory read from S3 are held packed (a few arrays, sorted by the UTF-8 bytes of their
 * names) and made into {@link DirEntry} values one at a time as they are read, so a snapshot of a million entries
 * is tens of megabytes, not hundreds; other lists are kept as given (copied).
 */
public record DirListing(long verifier, List<DirEntry> entries) {
    static final long FNV_OFFSET = 0xcbf29ce484222325L;
    static final long FNV_PRIME = 0x100000001b3L;

    public DirListing {
        entries = entries instanceof PackedEntries ? entries : List.copyOf(entries);
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

    /** Roughly the heap the snapshot holds, for cache weights. */
    long retainedBytes() {
        return entries instanceof PackedEntries p ? p.retainedBytes() : 64 + 250L * entries.size();
    }
}
