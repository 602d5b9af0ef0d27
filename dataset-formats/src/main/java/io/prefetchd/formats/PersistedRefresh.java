package io.prefetchd.formats;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Load, refresh against the listing, save when changed: {@link DatasetIndexer#loadOrBuild}. What it returns is
 * always the index as mapped from its file (a fresh build is saved, then mapped, so its heap arrays can go), and a
 * file of an older format version is rewritten in the current one. A refresh may write the store's file itself
 * (a file-per-sample index streamed from the listing), and then the index it returns is already mapped from it.
 */
final class PersistedRefresh {

    /** Refreshes {@code previous} (loaded from {@code store}, or empty) against the dataset as it is now. */
    @FunctionalInterface
    interface Refresher {
        Refreshed refresh(DatasetSpec spec, Optional<DatasetIndex> previous, IndexStore store) throws IOException;
    }

    /**
     * @param build the refreshed index: {@code previous} itself when nothing changed
     * @param saved the store's file when the refresh wrote it (then {@code build}'s index is mapped from it);
     *     empty when what is new still has to be saved
     */
    record Refreshed(IndexBuild build, Optional<Path> saved) {
    }

    /** A refresher that builds on the heap with {@link DatasetIndexer#refresh} and leaves saving to the caller. */
    static Refresher onHeap(DatasetIndexer indexer) {
        return (spec, previous, store) -> new Refreshed(indexer.refresh(spec, previous), Optional.empty());
    }

    private final Refresher refresher;
    private final IndexStore store;

    PersistedRefresh(Refresher refresher, IndexStore store) {
        this.refresher = refresher;
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
        Refreshed refreshed;
        try {
            refreshed = refresher.refresh(spec, previous, store);
        } catch (MappedFile.Corrupt e) { // a block of the loaded file failed its checksum when first read
            notes.set(0, "persisted index unusable, rebuilt it: " + e.getMessage());
            previous = Optional.empty();
            refreshed = refresher.refresh(spec, previous, store);
        }
        IndexBuild built = refreshed.build();
        DatasetIndex index = built.index();
        boolean outdated = previous.isPresent() && !IndexCodec.isCurrent(previous.get());
        if (refreshed.saved().isPresent()) {
            notes.add("saved " + refreshed.saved().get());
        } else if (previous.isEmpty() || index != previous.get() || outdated) {
            Path file = store.save(index);
            notes.add(outdated ? "rewrote the persisted index in the current format: " + file : "saved " + file);
            index = store.load(spec).orElseThrow(() -> new IOException("the index just saved to " + file
                    + " is gone"));
        }
        return new IndexBuild(index, built.failures(), built.stats(), notes);
    }
}
