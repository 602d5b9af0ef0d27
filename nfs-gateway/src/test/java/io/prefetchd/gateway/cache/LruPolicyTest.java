package io.prefetchd.gateway.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class LruPolicyTest {
    private static BlockKey block(long index) {
        return new BlockKey(1, 2, index * 4096, 4096);
    }

    @Test
    void victim_isLeastRecentlyInsertedOrAccessed() {
        LruPolicy lru = new LruPolicy();
        lru.onInsert(block(0), 10);
        lru.onInsert(block(1), 10);
        lru.onInsert(block(2), 10);
        lru.onAccess(block(0));

        assertEquals(block(1), lru.victim());
        lru.onRemove(block(1));
        assertEquals(block(2), lru.victim());
        lru.onRemove(block(2));
        assertEquals(block(0), lru.victim());
        lru.onRemove(block(0));
        assertNull(lru.victim());
    }
}
