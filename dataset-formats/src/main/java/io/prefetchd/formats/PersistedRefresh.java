package io.prefetchd.formats;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Load, refresh against the listing, save when changed: {@link DatasetIndexer#loadOrBuild}. */
final class PersistedRefresh {
    private final DatasetIndexer indexer;
    private final IndexStore store;

    PersistedRefresh(DatasetIndexer indexer, IndexStore store) {
        this.indexer = indexer;
        this.store = store;
    }

    IndexBuild run(DatasetSpec spec) throws IOException {
        List<String> notes = new ArrayList<>();
        Optional<DatasetIndex> previous;
        try {
            previous = store.load(spec);
            notes.add(previous.isPresent() ? "loaded the persisted index" : "no persisted index; built it");
        } catch (IOException e) {
            previous = Optional.empty();
            notes.add("persisted index unusable, rebuilt it: " + e.getMessage());
        }
        IndexBuild built = indexer.refresh(spec, previous);
        if (previous.isEmpty() || built.index() != previous.get()) {
            Path file = store.save(built.index());
            notes.add("saved " + file);
        }
        return new IndexBuild(built.index(), built.failures(), built.stats(), notes);
    }
}
