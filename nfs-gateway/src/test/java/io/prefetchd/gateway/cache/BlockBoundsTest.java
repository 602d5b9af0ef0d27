package io.prefetchd.gateway.cache;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BlockBoundsTest {
    private static final int SHIFT = 12; // 4 KiB grain
    private static final CutSet CUTS = CutSet.of(100, 5000, 5512, 9000);

    @Test
    void withoutCuts_blocksAreGrains_clippedAtTheEnd() {
        assertEquals(0, BlockBounds.start(null, SHIFT, 4095));
        assertEquals(4096, BlockBounds.start(null, SHIFT, 4096));
        assertEquals(8192, BlockBounds.end(null, SHIFT, 4096, 100_000));
        assertEquals(10_000, BlockBounds.end(null, SHIFT, 9000, 10_000));
    }

    @Test
    void cutsSplitGrains() {
        assertEquals(0, BlockBounds.start(CUTS, SHIFT, 99));
        assertEquals(100, BlockBounds.start(CUTS, SHIFT, 100));
        assertEquals(4096, BlockBounds.start(CUTS, SHIFT, 4999), "the grain line after the cut at 100");
        assertEquals(5000, BlockBounds.start(CUTS, SHIFT, 5511));
        assertEquals(5512, BlockBounds.start(CUTS, SHIFT, 8000));
        assertEquals(100, BlockBounds.end(CUTS, SHIFT, 0, 12_288));
        assertEquals(4096, BlockBounds.end(CUTS, SHIFT, 100, 12_288));
        assertEquals(5000, BlockBounds.end(CUTS, SHIFT, 4096, 12_288));
        assertEquals(5512, BlockBounds.end(CUTS, SHIFT, 5000, 12_288));
        assertEquals(8192, BlockBounds.end(CUTS, SHIFT, 5512, 12_288));
        assertEquals(9000, BlockBounds.end(CUTS, SHIFT, 8192, 12_288));
        assertEquals(12_288, BlockBounds.end(CUTS, SHIFT, 9000, 12_288));
    }
}
