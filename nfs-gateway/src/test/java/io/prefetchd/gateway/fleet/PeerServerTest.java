package io.prefetchd.gateway.fleet;

import io.prefetchd.gateway.cache.ExtentCache.Range;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PeerServerTest {

    @Test
    void covers_adjacentBlocksInAnyOrder_cover() {
        assertTrue(PeerServer.covers(List.of(new Range(200, 100), new Range(0, 100), new Range(100, 100)), 50, 300));
    }

    @Test
    void covers_aHole_doesNotCover() {
        assertFalse(PeerServer.covers(List.of(new Range(0, 100), new Range(150, 100)), 50, 200));
        assertFalse(PeerServer.covers(List.of(new Range(0, 100)), 50, 101));
        assertFalse(PeerServer.covers(List.of(), 0, 1));
    }

    @Test
    void covers_rangeWithinOneBlock_covers() {
        assertTrue(PeerServer.covers(List.of(new Range(0, 1 << 17)), 4096, 8192));
    }
}
