package io.prefetchd.gateway.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BlockTableTest {
    private static final int SHIFT = 12; // 4 KiB grain

    @Test
    void add_thenFind_returnsTheSlotWithItsFields() {
        BlockTable table = new BlockTable(SHIFT);
        int slot = table.add(7, 8, 3 * 4096 + 100, 900);

        assertEquals(slot, table.find(7, 8, 3 * 4096 + 100, 900));
        assertEquals(-1, table.find(7, 8, 3 * 4096 + 100, 901));
        assertEquals(-1, table.find(7, 9, 3 * 4096 + 100, 900));
        assertEquals(new BlockKey(7, 8, 3 * 4096 + 100, 900), table.key(slot));
        assertEquals(3 * 4096 + 1000, table.end(slot));
        assertFalse(table.isCached(slot));
    }

    @Test
    void setCached_recordsTheFileSize() {
        BlockTable table = new BlockTable(SHIFT);
        int slot = table.add(1, 2, 0, 4096);
        table.setCached(slot, true, 120);

        assertTrue(table.isCached(slot));
        assertEquals(4096 + 120, table.fileBytes(slot));
        assertEquals(1, table.cachedCount());
        table.setCached(slot, false, 0);
        assertEquals(0, table.cachedCount());
    }

    @Test
    void cell_returnsTheObjectsBlocksOfThatCellByStart() {
        BlockTable table = new BlockTable(SHIFT);
        int c = table.add(1, 1, 4096 + 3000, 1096);
        int a = table.add(1, 1, 4096, 100);
        int b = table.add(1, 1, 4096 + 100, 2000);
        table.add(1, 1, 0, 4096);      // another cell
        table.add(1, 2, 4096, 4096);   // another object

        assertArrayEquals(new int[] {a, b, c}, table.cell(1, 1, 1));
        assertEquals(0, table.cell(1, 1, 5).length);
    }

    @Test
    void add_blockAcrossAGrainLine_isRefused() {
        BlockTable table = new BlockTable(SHIFT);

        assertThrows(IllegalArgumentException.class, () -> table.add(1, 1, 4000, 200));
        assertThrows(IllegalArgumentException.class, () -> table.add(1, 1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> table.add(1, 1, BlockTable.MAX_START + 1, 1));
    }

    @Test
    void free_thenAdd_reusesTheSlotAndForgetsTheOldBlock() {
        BlockTable table = new BlockTable(SHIFT);
        int slot = table.add(1, 1, 0, 4096);
        table.setHeld(slot, true);
        table.free(slot);

        assertEquals(-1, table.find(1, 1, 0, 4096));
        assertEquals(0, table.heldCount());
        int again = table.add(2, 2, 8192, 10);
        assertEquals(slot, again);
        assertFalse(table.isHeld(again));
    }

    @Test
    void overlaps_seesBlocksSharingAByte() {
        BlockTable table = new BlockTable(SHIFT);
        int slot = table.add(1, 1, 100, 900);

        assertTrue(table.overlaps(1, 1, 0, 101, -1));
        assertTrue(table.overlaps(1, 1, 999, 1000, -1));
        assertFalse(table.overlaps(1, 1, 1000, 2000, -1));
        assertFalse(table.overlaps(1, 1, 0, 100, -1));
        assertFalse(table.overlaps(1, 1, 100, 1000, slot));
    }

    @Test
    void randomAddsAndFrees_agreeWithAMap() {
        BlockTable table = new BlockTable(SHIFT);
        Map<BlockKey, Integer> expected = new HashMap<>();
        List<BlockKey> live = new ArrayList<>();
        Random random = new Random(5);
        for (int i = 0; i < 200_000; i++) {
            if (live.isEmpty() || random.nextInt(3) > 0) {
                BlockKey key = new BlockKey(random.nextInt(50), random.nextInt(3), (long) random.nextInt(1 << 20) << SHIFT,
                        1 + random.nextInt(4096));
                if (expected.containsKey(key)) {
                    continue;
                }
                int slot = table.add(key.idHigh(), key.idLow(), key.start(), key.length());
                expected.put(key, slot);
                live.add(key);
            } else {
                BlockKey key = live.remove(random.nextInt(live.size()));
                table.free(expected.remove(key));
            }
        }
        assertEquals(expected.size(), table.size());
        for (Map.Entry<BlockKey, Integer> e : expected.entrySet()) {
            BlockKey k = e.getKey();
            assertEquals(e.getValue(), table.find(k.idHigh(), k.idLow(), k.start(), k.length()), k.toString());
            assertEquals(k, table.key(e.getValue()));
        }
    }
}
