package io.prefetchd.gateway.prefetch;

import io.prefetchd.formats.DatasetIndex;
import io.prefetchd.formats.DatasetSpec;
import io.prefetchd.formats.ObjectRef;
import io.prefetchd.formats.ToyIndex;
import io.prefetchd.planner.Extent;
import io.prefetchd.planner.SampleExtents;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BlockLayoutTest {
    private static final int GRAIN = 4096;
    /** Two tar shards: samples after 512-byte headers, the third spanning several grains. */
    private static final List<ObjectRef> OBJECTS = List.of(new ObjectRef("s0.tar", 40_000, "e0"),
            new ObjectRef("s1.tar", 20_000, "e1"));
    private static final long[][] EXTENTS = {{0, 512, 3000}, {0, 4096, 1000}, {0, 6000, 30_000}, {1, 512, 9000}};

    private static final DatasetIndex INDEX = ToyIndex.of(DatasetSpec.webDataset(""), OBJECTS, EXTENTS);

    @Test
    void plannerView_visitsTheSameBlocksItLists() {
        SampleExtents view = new BlockLayout(INDEX, GRAIN).plannerView();
        for (int s = 0; s < view.sampleCount(); s++) {
            List<Extent> visited = new ArrayList<>();
            view.forEachExtent(s, (object, offset, length) -> visited.add(new Extent(object, offset, length)));
            assertEquals(view.extentsOf(s), visited, "sample " + s);
        }
    }

    @Test
    void sampleAt_mapsReadsThroughTheIndex_andOnlyForTheIndexedVersion() {
        BlockLayout layout = new BlockLayout(INDEX, GRAIN);

        assertEquals(0, layout.sampleAt("s0.tar", "e0", 512));
        assertEquals(2, layout.sampleAt("s0.tar", "e0", 35_999));
        assertEquals(-1, layout.sampleAt("s0.tar", "e0", 100), "a tar header");
        assertEquals(3, layout.sampleAt("s1.tar", "e1", 600));
        assertEquals(-1, layout.sampleAt("s1.tar", "changed", 600));
        assertEquals(-1, layout.sampleAt("s2.tar", "e1", 600));
    }

    @Test
    void blocksIn_andVersion_findTheObjectByItsPlannerId() {
        BlockLayout layout = new BlockLayout(INDEX, GRAIN);
        String id = BlockLayout.objectId("s0.tar", "e0");

        assertEquals("s0.tar", layout.version(id).key());
        assertEquals(layout.plannerView().extentsOf(0), layout.blocksIn(id, 512, 3000));
        assertEquals(null, layout.version(BlockLayout.objectId("s0.tar", "other")));
        assertEquals(List.of(), layout.blocksIn("s0.tar", 512, 3000));
    }
}
