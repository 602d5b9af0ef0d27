package io.prefetchd.gateway.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ClockPolicyTest {

    @Test
    void victim_isTheFirstBlockNotReadSinceTheHandPassed() {
        ClockPolicy clock = new ClockPolicy();
        for (int slot = 0; slot < 4; slot++) {
            clock.onInsert(slot);
        }
        clock.onAccess(0);

        assertEquals(1, clock.victim(), "block 0 was read: it gets another round");
        clock.onRemove(1);
        assertEquals(2, clock.victim());
        clock.onRemove(2);
        assertEquals(3, clock.victim());
        clock.onRemove(3);
        assertEquals(0, clock.victim(), "its reference bit was cleared as the hand passed");
        clock.onRemove(0);
        assertEquals(-1, clock.victim());
    }

    @Test
    void aSlotReusedJustBehindTheHand_isReachedLast() {
        ClockPolicy clock = new ClockPolicy();
        for (int slot = 0; slot < 3; slot++) {
            clock.onInsert(slot);
        }
        int victim = clock.victim();
        clock.onRemove(victim);
        clock.onInsert(victim); // the new block takes the evicted block's slot

        assertEquals(1, clock.victim());
        clock.onRemove(1);
        assertEquals(2, clock.victim());
        clock.onRemove(2);
        assertEquals(victim, clock.victim());
    }

    @Test
    void removedAndUnknownSlots_areNeverVictims() {
        ClockPolicy clock = new ClockPolicy();
        clock.onInsert(70);
        clock.onInsert(3);
        clock.onRemove(3);
        clock.onAccess(5); // not a member: ignored

        assertEquals(70, clock.victim());
        assertEquals(1, clock.size());
    }

    @Test
    void recentlyUsedAndOrderStart_describeTheRingForAnIndex() {
        ClockPolicy clock = new ClockPolicy();
        clock.onInsert(0);
        clock.onInsert(1);
        clock.onInsert(2);
        clock.onAccess(2);

        assertTrue(clock.recentlyUsed(2));
        assertFalse(clock.recentlyUsed(1));
        assertEquals(0, clock.victim());
        assertEquals(1, clock.orderStart(), "the hand moved past the victim");
    }
}
