package io.prefetchd.gateway.fs;

import java.util.List;

/**
 * A snapshot of one directory, sorted by name (Java string order). {@code verifier} identifies the snapshot (a hash of its
 * names): READDIR cookies are positions in it and stay valid as long as a snapshot with that verifier is
 * kept (see docs/SEMANTICS.md).
 */
public record DirListing(long verifier, List<DirEntry> entries) {
    public DirListing {
        entries = List.copyOf(entries);
    }

    /**
     * A hash of the names and their kinds: the READDIR cookie verifier and the directory's change attribute. Two
     * listings with the same names of the same kinds have the same verifier, wherever they were built.
     */
    public static long verifierOf(List<DirEntry> entries) {
        long h = 0xcbf29ce484222325L;
        for (DirEntry e : entries) {
            for (int i = 0; i < e.name().length(); i++) {
                h = (h ^ e.name().charAt(i)) * 0x100000001b3L;
            }
            h = (h ^ (e.inode().isDirectory() ? '/' : '\n')) * 0x100000001b3L;
        }
        return h == 0 ? 1 : h;
    }
}
