package io.prefetchd.gateway.fleet;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FleetCapacityTest {
    private static final long GIB = 1L << 30;

    @Test
    void aThirdOfThePartitions_plansForThreeCaches_andHalf_forTwo() {
        AtomicInteger owned = new AtomicInteger(90);
        AtomicInteger changes = new AtomicInteger();
        FleetCapacity c = new FleetCapacity(owned::get, 270, () -> 3 * GIB);
        c.onChange(changes::incrementAndGet);
        assertEquals(3 * GIB, c.bytes(GIB));

        owned.set(135); // a member left: its partitions were shared out
        c.changed();
        assertEquals(2 * GIB, c.bytes(GIB));
        assertEquals(1, changes.get());
    }

    @Test
    void unequalCaches_eachMemberPlansSoThatItsShareFillsItsOwnCache() {
        // three members of 2, 1 and 1 GiB each own a third: the first plans for 6 GiB and holds 2 of them
        assertEquals(6 * GIB, FleetCapacity.scaled(2 * GIB, 90, 270));
        assertEquals(3 * GIB, FleetCapacity.scaled(GIB, 90, 270));
    }

    @Test
    void ownsNoneOrAll_plansForItsOwnCache() {
        assertEquals(GIB, FleetCapacity.scaled(GIB, 0, 271), "joining: nothing of its own to fetch yet");
        assertEquals(GIB, FleetCapacity.scaled(GIB, 271, 271), "alone in the fleet");
    }
}
