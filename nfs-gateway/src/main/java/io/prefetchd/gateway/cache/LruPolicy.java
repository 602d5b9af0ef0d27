package io.prefetchd.gateway.cache;

import java.util.LinkedHashMap;

/** Least recently used first. Not thread-safe: guarded by the cache's lock (see {@link EvictionPolicy}). */
final class LruPolicy implements EvictionPolicy {
    /** In access order: the eldest entry is the least recently used. */
    private final LinkedHashMap<BlockKey, Boolean> order = new LinkedHashMap<>(1024, 0.75f, true);

    @Override
    public void onInsert(BlockKey block, long bytes) {
        order.put(block, Boolean.TRUE);
    }

    @Override
    public void onAccess(BlockKey block) {
        order.get(block);
    }

    @Override
    public void onRemove(BlockKey block) {
        order.remove(block);
    }

    @Override
    public BlockKey victim() {
        return order.isEmpty() ? null : order.keySet().iterator().next();
    }
}
