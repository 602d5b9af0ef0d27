package io.prefetchd.gateway.cache;

/**
 * The blocks on disk and the capacity they take: each is cached in the {@link BlockTable}, known to the eviction
 * policy unless held, journaled ({@link IndexJournal}), and counted in {@code usedBytes} with its header.
 *
 * <h2>Capacity and a full disk</h2>
 * {@code usedBytes} counts block files plus writes in progress and never exceeds the capacity: a writer
 * {@link #reserve}s its file's size first and evicts policy victims (CLOCK, an approximation of
 * least-recently-used, through the {@link EvictionPolicy} seam) until it fits. If writing fails anyway (typically
 * ENOSPC because the disk is shared), the writer asks for {@link #relieve} and tries once more. Held blocks are
 * out of the policy, so only the planner removes them; when they fill the capacity, new blocks are served from
 * memory and not written.
 *
 * <p>Not thread-safe: every method expects the {@link BlockIndex}'s lock held. {@code usedBytes} and
 * {@code cachedBlocks} are volatile so that gauges may read them without it.
 */
final class StoredBlocks {

    /** Told when a block left the disk, so the index can forget it unless it is being fetched again. */
    @FunctionalInterface
    interface Removed {
        void removed(int slot, BlockKey key);
    }

    private final CacheFolder folder;
    private final BlockTable table;
    private final EvictionPolicy policy;
    private final IndexJournal journal;
    private final CacheMeters meters;
    private final long capacityBytes;
    private final Removed onRemoved;
    private volatile long usedBytes;
    private volatile long cachedBlocks;

    StoredBlocks(CacheFolder folder, IndexLoader.Loaded loaded, IndexJournal journal, CacheMeters meters,
            long capacityBytes, Removed onRemoved) {
        this.folder = folder;
        this.table = loaded.table();
        this.policy = loaded.policy();
        this.journal = journal;
        this.meters = meters;
        this.capacityBytes = capacityBytes;
        this.onRemoved = onRemoved;
        this.usedBytes = loaded.usedBytes();
        this.cachedBlocks = loaded.cachedBlocks();
    }

    long usedBytes() {
        return usedBytes;
    }

    long cachedBlocks() {
        return cachedBlocks;
    }

    long capacityBytes() {
        return capacityBytes;
    }

    /** Counts {@code bytes} into {@code usedBytes}, evicting until within capacity; false if it cannot fit. */
    boolean reserve(long bytes) {
        usedBytes += bytes;
        evictDownTo(capacityBytes);
        if (usedBytes > capacityBytes) { // everything else is reservations of concurrent writers
            usedBytes -= bytes;
            return false;
        }
        return true;
    }

    /** Gives back a reservation whose block was not stored. */
    void unreserve(long bytes) {
        usedBytes -= bytes;
    }

    /** Evicts at least {@code bytes} of blocks if it can; returns the bytes freed. */
    long relieve(long bytes) {
        long before = usedBytes;
        evictDownTo(Math.max(0, usedBytes - bytes));
        return before - usedBytes;
    }

    /** Evicts policy victims until {@code usedBytes <= target} or nothing is left. */
    void evictDownTo(long target) {
        while (usedBytes > target) {
            int victim = policy.victim();
            if (victim < 0) {
                return;
            }
            if (!table.isCached(victim) || table.isHeld(victim)) {
                throw new IllegalStateException("eviction policy chose slot " + victim + ", which is not an unheld "
                        + "cached block");
            }
            remove(victim, true);
        }
    }

    /** A block's file was renamed into place: its reservation becomes the block's. */
    void stored(int slot, int headerBytes) {
        table.setCached(slot, true, headerBytes);
        cachedBlocks++;
        if (!table.isHeld(slot)) {
            policy.onInsert(slot);
        }
        journal.record(IndexFile.ADDED, slot);
        journal.checkpointIfLong(cachedBlocks);
    }

    /** Removes a cached block from index and policy, deletes its file, then journals it. */
    void remove(int slot, boolean eviction) {
        if (!table.isCached(slot)) {
            return;
        }
        BlockKey key = table.key(slot);
        policy.onRemove(slot);
        usedBytes -= table.fileBytes(slot);
        if (eviction) {
            meters.evictions.increment();
        }
        // delete first: a crash before the journal record leaves an entry without a file (a re-fetch), not a file
        // without an entry (unaccounted space)
        folder.deleteQuietly(folder.pathOf(key));
        journal.record(IndexFile.REMOVED, slot);
        table.setCached(slot, false, 0);
        cachedBlocks--;
        onRemoved.removed(slot, key);
        journal.checkpointIfLong(cachedBlocks);
    }

    /** Ends the hold on a cached block: it joins the eviction order as just used. */
    void unheld(int slot) {
        policy.onInsert(slot);
        policy.onAccess(slot);
    }

    /** Holds a block: the policy no longer sees it. */
    void held(int slot) {
        policy.onRemove(slot);
    }

    /** A cached block was read. */
    void accessed(int slot) {
        policy.onAccess(slot);
    }
}
