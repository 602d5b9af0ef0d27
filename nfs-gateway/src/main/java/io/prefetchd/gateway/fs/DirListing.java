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
}
