package io.prefetchd.planner;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PresentExtentsTest {

    @Test
    void randomAddsAndRemoves_keepEveryPresentExtentsNumbers_asAMapWould() {
        PresentExtents present = new PresentExtents();
        Map<Integer, Long> expected = new HashMap<>();
        Random random = new Random(7);
        for (int step = 0; step < 200_000; step++) {
            int id = random.nextInt(5_000); // few ids, many collisions, removals inside probe runs
            if (expected.containsKey(id)) {
                if (random.nextBoolean()) {
                    present.remove(id);
                    expected.remove(id);
                } else {
                    present.setKey(id, step);
                    expected.put(id, (long) step);
                }
            } else {
                present.add(id);
                present.setKey(id, step);
                expected.put(id, (long) step);
            }
        }
        assertEquals(expected.size(), present.size());
        for (int id = 0; id < 5_000; id++) {
            assertEquals(expected.getOrDefault(id, 0L), present.key(id), "extent " + id);
        }
    }

    @Test
    void removedExtent_forgetsItsNumbers_andIsAddedBackAtZero() {
        PresentExtents present = new PresentExtents();
        present.add(3);
        present.setLastAccess(3, 42);
        present.setNeedPosition(3, 9);
        present.remove(3);

        present.add(3);
        assertEquals(0, present.lastAccess(3));
        assertEquals(0, present.needPosition(3));
    }

    @Test
    void absentExtent_cannotBeGivenNumbers() {
        assertThrows(IllegalStateException.class, () -> new PresentExtents().setKey(1, 5));
    }
}
