package io.prefetchd.gateway.cache;

/**
 * Decides which cached block goes when the cache needs room. This is the seam for the prefetch planner: a
 * policy that knows the coming accesses can evict the block needed furthest in the future (Belady) instead
 * of the least recently used one ({@link LruPolicy}, the default).
 *
 * <p>The cache calls every method under its own lock, so implementations need no synchronization of their
 * own, must be fast and must not call back into the cache. The policy sees exactly the blocks in the
 * cache's index: {@link #onInsert} when one is added (including those found on disk at start-up, oldest
 * first), {@link #onRemove} when one goes for any reason (eviction, corruption, deletion).
 */
interface EvictionPolicy {

    /** A block was added to the cache. */
    void onInsert(BlockKey block, long bytes);

    /** A cached block was read. */
    void onAccess(BlockKey block);

    /** A block left the cache (after being chosen by {@link #victim()}, or for another reason). */
    void onRemove(BlockKey block);

    /** The block to evict next, without removing it; {@code null} when the policy tracks no block. */
    BlockKey victim();
}
