package io.prefetchd.gateway.fleet;

import io.prefetchd.gateway.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PreviousOwnersTest {
    private final ManualClock clock = new ManualClock();
    private final PreviousOwners owners = new PreviousOwners(Duration.ofMinutes(10), clock);

    @Test
    void move_namesTheMemberItMovedFrom_untilTheWindowEnds() {
        owners.moved(7, "member-a");
        clock.advance(Duration.ofMinutes(10));

        assertEquals("member-a", owners.from(7));
        assertNull(owners.from(8));

        clock.advance(Duration.ofSeconds(1));

        assertNull(owners.from(7));
        assertFalse(owners.anyRecent());
    }

    @Test
    void laterMove_replacesTheEarlierOne_andRestartsTheWindow() {
        owners.moved(7, "member-a");
        clock.advance(Duration.ofMinutes(9));
        owners.moved(7, "member-b");
        clock.advance(Duration.ofMinutes(9));

        assertEquals("member-b", owners.from(7));
    }

    @Test
    void moveFromNoMember_forgetsTheEarlierOne() {
        owners.moved(7, "member-a");
        owners.moved(7, null);

        assertNull(owners.from(7));
        assertFalse(owners.anyRecent());
    }

    @Test
    void memberLeft_isNoLongerNamed_othersAre() {
        owners.moved(1, "member-a");
        owners.moved(2, "member-b");
        owners.moved(3, "member-a");

        owners.left("member-a");

        assertNull(owners.from(1));
        assertEquals("member-b", owners.from(2));
        assertNull(owners.from(3));
        assertTrue(owners.anyRecent());
    }

    @Test
    void anyRecent_forgetsOldMoves_keepsRecentOnes() {
        owners.moved(1, "member-a");
        clock.advance(Duration.ofMinutes(6));
        owners.moved(2, "member-b");
        clock.advance(Duration.ofMinutes(6));

        assertTrue(owners.anyRecent());
        assertNull(owners.from(1));
        assertEquals("member-b", owners.from(2));
    }

    @Test
    void zeroWindow_neverNamesAnOwner() {
        PreviousOwners off = new PreviousOwners(Duration.ZERO, clock);

        off.moved(1, "member-a");

        assertNull(off.from(1));
        assertFalse(off.anyRecent());
    }
}
