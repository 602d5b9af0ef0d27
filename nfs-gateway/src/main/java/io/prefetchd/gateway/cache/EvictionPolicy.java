package io.prefetchd.gateway.cache;

/**
 * Decides which cached block goes when the cache needs room. This is the seam for the prefetch planner: a
 * policy that knows the coming accesses can evict the block needed furthest in the future (Belady) instead
 * of an old one ({@link ClockPolicy}, the default).
 *
 * <p>Blocks are named by their slot in the cache's {@link BlockTable} (the policy is made with the table, so it can
 * look up which bytes a slot holds); a policy keeps its state in arrays indexed by slot, never in an object per
 * block, so that it costs a few bits or bytes per cached block. A slot is reused after its block leaves.
 *
 * <p>The cache calls every method under its own lock, so implementations need no synchronization of their
 * own, must be fast and must not call back into the cache. The policy sees exactly the unheld blocks in the
 * cache's index: {@link #onInsert} when one is added (including those loaded at start-up, oldest first),
 * {@link #onRemove} when one goes for any reason (eviction, corruption, deletion, a hold).
 */
interface EvictionPolicy {

    /** A block was added to the cache. */
    void onInsert(int slot);

    /** A cached block was read. */
    void onAccess(int slot);

    /** A block left the cache (after being chosen by {@link #victim()}, or for another reason). */
    void onRemove(int slot);

    /** The slot of the block to evict next, without removing it; -1 when the policy tracks no block. */
    int victim();

    /**
     * Whether {@code slot} is recently used by this policy's measure; saved with the index so that a restart
     * keeps the order (the default says no).
     */
    default boolean recentlyUsed(int slot) {
        return false;
    }

    /**
     * The slot order to save the index in, as an offset into the slots: the saved index lists slots from here
     * round to here, and a restart inserts them in that order (the default: from slot 0).
     */
    default int orderStart() {
        return 0;
    }
}
