package io.prefetchd.gateway.cache;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds the {@link BlockTable} and the eviction policy of a cache folder on open: from the index's checkpoint
 * and journal when they pass their checks (a torn last journal record is dropped), otherwise by listing the block
 * files ({@link CacheFolder#list}, oldest first), after which it writes a checkpoint. Either way it leaves a
 * journal open to go on with. Listing is the slow path: a cache of ten million blocks opens from its index in
 * seconds, without listing its folders.
 *
 * <p>Runs before the cache is shared, on the opening thread; not thread-safe.
 */
final class IndexLoader {
    private static final Logger log = LoggerFactory.getLogger(IndexLoader.class);

    /** What was loaded: the table, the policy over it, their totals, and the journal to append to. */
    record Loaded(BlockTable table, EvictionPolicy policy, long usedBytes, long cachedBlocks, IndexFile index) {
    }

    private final CacheFolder folder;
    private final int grain;
    private final int shift;
    private final Function<BlockTable, EvictionPolicy> policyFactory;
    private BlockTable table;
    private EvictionPolicy policy;
    private long usedBytes;
    private long cachedBlocks;

    @SuppressWarnings("NullAway.Init") // table and policy are set by reset(), the first step of load()
    private IndexLoader(CacheFolder folder, int grain, Function<BlockTable, EvictionPolicy> policyFactory) {
        this.folder = folder;
        this.grain = grain;
        this.shift = Integer.numberOfTrailingZeros(grain);
        this.policyFactory = policyFactory;
    }

    static Loaded load(CacheFolder folder, int grain, Function<BlockTable, EvictionPolicy> policyFactory)
            throws IOException {
        return new IndexLoader(folder, grain, policyFactory).load();
    }

    private Loaded load() throws IOException {
        long started = System.nanoTime();
        reset();
        Sink sink = new Sink();
        IndexFile.Loaded loaded = null;
        String why = "no index";
        try {
            loaded = IndexFile.load(folder.root(), grain, sink);
        } catch (IndexFile.CorruptIndexException e) {
            why = "index unusable: " + e.getMessage();
        }
        IndexFile index;
        if (loaded != null) {
            if (loaded.tornRecords() > 0) {
                log.warn("extent cache {}: dropped a torn end of the index journal ({} records)", folder.root(),
                        loaded.tornRecords());
            }
            if (sink.overlaps > 0) {
                dropOverlaps();
            }
            if (loaded.appendAt() >= 0 && sink.overlaps == 0) {
                index = IndexFile.openJournal(folder.root(), loaded.generation(), loaded.appendAt());
            } else if (loaded.appendAt() == IndexFile.NEW_JOURNAL && sink.overlaps == 0) {
                index = IndexFile.startJournal(folder.root(), grain, loaded.generation());
            } else { // a checkpoint was being taken when the last run ended: fold the journals into a new one
                index = IndexFile.checkpoint(folder.root(), grain, loaded.generation() + 2,
                        IndexJournal.cachedBlocks(table, policy), false);
            }
            log.info("extent cache {}: index loaded ({} + {} journal records) in {} ms", folder.root(),
                    loaded.checkpointRecords(), Math.max(0, loaded.journalRecords()),
                    (System.nanoTime() - started) / 1_000_000);
        } else {
            log.info("extent cache {}: {}; listing the block files", folder.root(), why);
            reset();
            IndexFile.delete(folder.root());
            addListed(folder.list());
            index = IndexFile.checkpoint(folder.root(), grain, 1, IndexJournal.cachedBlocks(table, policy), true);
        }
        return new Loaded(table, policy, usedBytes, cachedBlocks, index);
    }

    private void reset() {
        table = new BlockTable(shift);
        policy = requireNonNull(policyFactory.apply(table), "policy factory returned null");
        usedBytes = 0;
        cachedBlocks = 0;
    }

    private void addListed(List<CacheFolder.Listed> listed) {
        for (CacheFolder.Listed found : listed) {
            BlockKey key = found.key();
            if (table.overlaps(key.idHigh(), key.idLow(), key.start(), key.end(), -1)) {
                // cannot happen through the cache; never serve two versions of a byte
                log.warn("deleting cache block {}: it overlaps another block of the object", folder.pathOf(key));
                folder.deleteQuietly(folder.pathOf(key));
                continue;
            }
            insert(table.add(key.idHigh(), key.idLow(), key.start(), key.length()), (int) (found.size() - key.length()),
                    false);
        }
    }

    private void insert(int slot, int headerBytes, boolean recent) {
        table.setCached(slot, true, headerBytes);
        policy.onInsert(slot);
        if (recent) {
            policy.onAccess(slot);
        }
        usedBytes += table.fileBytes(slot);
        cachedBlocks++;
    }

    private void remove(int slot) {
        policy.onRemove(slot);
        usedBytes -= table.fileBytes(slot);
        cachedBlocks--;
        table.free(slot);
    }

    /**
     * After loading a fuzzy checkpoint whose blocks overlapped: drops (and deletes) every block that still overlaps
     * another once the journals are replayed, which the journals make impossible unless records were lost.
     */
    private void dropOverlaps() {
        List<Integer> bad = new ArrayList<>();
        for (int slot = 0; slot < table.slotLimit(); slot++) {
            if (table.isCached(slot) && table.overlaps(table.idHigh(slot), table.idLow(slot), table.start(slot),
                    table.end(slot), slot)) {
                bad.add(slot);
            }
        }
        for (int slot : bad) {
            log.warn("dropping cache block {}: it overlaps another block of its object in the index",
                    folder.pathOf(table.key(slot)));
            folder.deleteQuietly(folder.pathOf(table.key(slot)));
            remove(slot);
        }
    }

    /** Fills table and policy from the index on disk. */
    private final class Sink implements IndexFile.Sink {
        /** Whether blocks may overlap until the journals are replayed (a checkpoint taken while serving). */
        boolean fuzzy;
        /** Blocks loaded over others of their object, to be resolved once everything is loaded. */
        long overlaps;
        /**
         * Whether records need checking against the blocks already loaded: those of a journal or of a fuzzy
         * checkpoint. A consistent checkpoint holds neither duplicates nor overlaps (its CRC says it is what was
         * written), so its records go straight in: one hash probe each.
         */
        boolean checked;

        @Override
        public void expect(long records, boolean fuzzy) {
            this.fuzzy = fuzzy;
            this.checked = fuzzy;
            table.reserve(records + records / 16); // and some room to grow before the first rehash
        }

        @Override
        public void checkpointDone() {
            checked = true;
        }

        @Override
        public void added(long idHigh, long idLow, long start, int length, int headerBytes, boolean recent)
                throws IndexFile.CorruptIndexException {
            boolean misfit = length > grain || start > BlockTable.MAX_START
                    || (start >>> shift) != ((start + length - 1) >>> shift);
            if (!checked) {
                if (misfit) {
                    throw new IndexFile.CorruptIndexException("block " + start + "+" + length
                            + " cannot be in an index of grain " + grain);
                }
                insert(table.add(idHigh, idLow, start, length), headerBytes, recent);
                return;
            }
            int existing = table.find(idHigh, idLow, start, length);
            if (existing >= 0) { // journaled again: keep one entry
                remove(existing);
            }
            boolean overlapping = table.overlaps(idHigh, idLow, start, start + length, -1);
            if (misfit || overlapping && !fuzzy) {
                throw new IndexFile.CorruptIndexException("block " + start + "+" + length + " of "
                        + new BlockKey(idHigh, idLow, start, length).objectHex() + " cannot be in this index");
            }
            if (overlapping) {
                overlaps++;
            }
            insert(table.add(idHigh, idLow, start, length), headerBytes, recent);
        }

        @Override
        public void removed(long idHigh, long idLow, long start, int length) {
            int slot = table.find(idHigh, idLow, start, length);
            if (slot >= 0) {
                remove(slot);
            }
        }
    }
}
