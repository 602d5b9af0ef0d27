package io.prefetchd.gateway.fleet;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FleetCapacityTest {
    private static final long GIB = 1L << 30;

    @Test
    void aThirdOfThePartitions_plansForThreeCaches_andHalf_forTwo() {
        AtomicInteger owned = new AtomicInteger(90);
        AtomicInteger members = new AtomicInteger(3);
        AtomicInteger changes = new AtomicInteger();
        FleetCapacity c = new FleetCapacity(owned::get, members::get, 270, () -> 3 * GIB);
        c.onChange(changes::incrementAndGet);
        assertEquals((long) (3 * GIB * FleetCapacity.STRAY), c.bytes(GIB));

        owned.set(135); // a member left: its partitions were shared out
        members.set(2);
        c.changed();
        assertEquals((long) (2 * GIB * FleetCapacity.STRAY), c.bytes(GIB));
        assertEquals(1, changes.get());
    }

    @Test
    void unequalCaches_eachMemberPlansSoThatItsShareFillsItsOwnCache() {
        // three members of 2, 1 and 1 GiB each own a third: the first plans for 6 GiB (less the margin), holds 2
        assertEquals((long) (6 * GIB * FleetCapacity.STRAY), FleetCapacity.scaled(2 * GIB, 90, 270, 3));
        assertEquals((long) (3 * GIB * FleetCapacity.STRAY), FleetCapacity.scaled(GIB, 90, 270, 3));
    }

    @Test
    void joiningMemberOwningFewPartitions_plansForNoMoreThanTheMembersCaches() {
        assertEquals((long) (3 * GIB * FleetCapacity.STRAY), FleetCapacity.scaled(GIB, 5, 271, 3),
                "not 54 caches while partitions migrate");
    }

    @Test
    void ownsNoneOrAll_plansForItsOwnCache() {
        assertEquals(GIB, FleetCapacity.scaled(GIB, 0, 271, 3), "joining: nothing of its own to fetch yet");
        assertEquals(GIB, FleetCapacity.scaled(GIB, 271, 271, 1), "alone in the fleet");
    }
}
