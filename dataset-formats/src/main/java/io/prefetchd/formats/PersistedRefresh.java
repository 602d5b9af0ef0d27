package io.prefetchd.formats;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Load, refresh against the listing, save when changed: {@link DatasetIndexer#loadOrBuild}. What it returns is
 * always the index as mapped from its file (a fresh build is saved, then mapped, so its heap arrays can go), and a
 * file of an older format version is rewritten in the current one.
 */
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
        IndexBuild built;
        try {
            built = indexer.refresh(spec, previous);
        } catch (MappedFile.Corrupt e) { // a block of the loaded file failed its checksum when first read
            notes.set(0, "persisted index unusable, rebuilt it: " + e.getMessage());
            previous = Optional.empty();
            built = indexer.refresh(spec, previous);
        }
        DatasetIndex index = built.index();
        boolean outdated = previous.isPresent() && !IndexCodec.isCurrent(previous.get());
        if (previous.isEmpty() || index != previous.get() || outdated) {
            Path file = store.save(index);
            notes.add(outdated ? "rewrote the persisted index in the current format: " + file : "saved " + file);
            index = store.load(spec).orElseThrow(() -> new IOException("the index just saved to " + file
                    + " is gone"));
        }
        return new IndexBuild(index, built.failures(), built.stats(), notes);
    }
}
