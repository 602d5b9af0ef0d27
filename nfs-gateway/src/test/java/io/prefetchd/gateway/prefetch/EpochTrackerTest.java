package io.prefetchd.gateway.prefetch;

import org.junit.jupiter.api.Test;

import java.util.BitSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EpochTrackerTest {
    private static final long GAP = 1_000_000_000L;

    @Test
    void publishingTheNextEpochAfterTheCurrentWasRead_startsIt() {
        EpochTracker t = new EpochTracker(10, new BitSet(), GAP);
        assertEquals(0, t.onPublish(0, 10));
        for (int s = 0; s < 10; s++) {
            assertEquals(-1, t.beforeRead(s, s));
            assertTrue(t.firstReadInEpoch(s));
        }
        assertEquals(1, t.onPublish(1, 10));
        assertEquals(0, t.distinctRead());
    }

    @Test
    void anEpochPublishedAhead_startsWhenTheCurrentOneIsRead() {
        EpochTracker t = new EpochTracker(4, new BitSet(), GAP);
        assertEquals(0, t.onPublish(0, 4));
        assertEquals(-1, t.onPublish(1, 4), "published before epoch 0 was read: ahead");
        for (int s = 0; s < 4; s++) {
            assertEquals(-1, t.beforeRead(s, s));
            t.firstReadInEpoch(s);
        }
        assertEquals(1, t.beforeRead(2, 10), "epoch 0 read whole: the next read is epoch 1's");
        assertTrue(t.firstReadInEpoch(2));
    }

    /** A zero-byte file is never READ: it counts as read, so an epoch of it and three files ends after three. */
    @Test
    void anEmptySample_countsAsRead_soItsEpochEndsWithoutIt() {
        BitSet empty = new BitSet();
        empty.set(3);
        EpochTracker t = new EpochTracker(4, empty, GAP);
        assertEquals(0, t.onPublish(0, 4));
        assertEquals(-1, t.onPublish(1, 4));
        assertTrue(t.wasRead(3));
        for (int s = 0; s < 3; s++) {
            assertEquals(-1, t.beforeRead(s, s));
            t.firstReadInEpoch(s);
        }
        assertEquals(4, t.distinctRead());
        assertEquals(1, t.beforeRead(0, 10), "epoch 0 is done: the next read is epoch 1's");
        assertTrue(t.wasRead(3), "still read in epoch 1");
    }

    @Test
    void severalReadsOfOneSample_countOnce() {
        EpochTracker t = new EpochTracker(4, new BitSet(), GAP);
        t.onPublish(0, 4);
        t.beforeRead(1, 0);
        assertTrue(t.firstReadInEpoch(1));
        assertEquals(-1, t.beforeRead(1, 1));
        assertFalse(t.firstReadInEpoch(1));
        assertEquals(1, t.distinctRead());
    }

    @Test
    void aJobThatStoppedAnEpochEarly_isFollowedIntoTheNextOne() {
        EpochTracker t = new EpochTracker(1000, new BitSet(), GAP);
        t.onPublish(0, 1000);
        for (int s = 0; s < 500; s++) {
            t.beforeRead(s, s);
            t.firstReadInEpoch(s);
        }
        assertEquals(-1, t.onPublish(1, 1000), "half read: taken as published ahead");
        int started = -1;
        for (int s = 0; s <= EpochTracker.MAX_REPEATS && started < 0; s++) {
            started = t.beforeRead(s, 600 + s);
        }
        assertEquals(1, started);
    }

    @Test
    void withoutHints_anEpochEndsByCoverageOrIdleness() {
        EpochTracker t = new EpochTracker(10, new BitSet(), GAP);
        assertEquals(0, t.beforeRead(0, 0));
        t.firstReadInEpoch(0);
        for (int s = 1; s < 9; s++) {
            assertEquals(-1, t.beforeRead(s, s));
            t.firstReadInEpoch(s);
        }
        assertEquals(1, t.beforeRead(3, 20), "90% read and a sample comes again: a new epoch");
        t.firstReadInEpoch(3);
        assertEquals(2, t.beforeRead(4, 20 + 2 * GAP), "after an idle gap: a new epoch");
    }

    /** The client's page cache served epoch 0: the gateway saw one read of four before the job ended it. */
    @Test
    void anEpochTheJobEnded_letsTheNextPublishedOneStartAtOnce() {
        EpochTracker t = new EpochTracker(4, new BitSet(), GAP);
        assertEquals(0, t.onPublish(0, 4));
        assertEquals(-1, t.beforeRead(0, 1));
        t.firstReadInEpoch(0);
        t.onEnd(0);
        assertEquals(1, t.onPublish(1, 4), "not held back as published ahead: epoch 0 is over");
    }

    @Test
    void anEpochTheJobEnded_afterTheNextWasPublishedAhead_givesWayAtTheNextRead() {
        EpochTracker t = new EpochTracker(4, new BitSet(), GAP);
        assertEquals(0, t.onPublish(0, 4));
        assertEquals(-1, t.onPublish(1, 4), "published ahead");
        assertEquals(-1, t.beforeRead(0, 1));
        t.firstReadInEpoch(0);
        t.onEnd(0);
        assertEquals(1, t.beforeRead(0, 2), "epoch 0 is over: the read is epoch 1's");
    }

    @Test
    void endingAnotherEpoch_holdsTheCurrentOneAsBefore() {
        EpochTracker t = new EpochTracker(4, new BitSet(), GAP);
        assertEquals(0, t.onPublish(0, 4));
        t.onEnd(7);
        assertEquals(-1, t.onPublish(1, 4), "epoch 0 is still running and barely read: 1 was published ahead");
    }

    @Test
    void silentFor_isTrueOnlyPastTheIdleGapAfterARead() {
        EpochTracker t = new EpochTracker(4, new BitSet(), GAP);
        assertFalse(t.silentFor(10 * GAP), "nothing read yet");
        t.beforeRead(0, 5);
        assertFalse(t.silentFor(5 + GAP));
        assertTrue(t.silentFor(5 + GAP + 1));
    }
}
