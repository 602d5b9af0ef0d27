package io.prefetchd.gateway.prefetch;

import io.prefetchd.formats.DatasetIndex;
import io.prefetchd.formats.DatasetSpec;
import io.prefetchd.formats.ExtentSink;
import io.prefetchd.formats.FileLayout;
import io.prefetchd.formats.IndexStore;
import io.prefetchd.formats.ObjectRef;
import io.prefetchd.formats.ToyIndex;
import io.prefetchd.gateway.cache.CutSet;
import io.prefetchd.gateway.cache.ObjectVersion;
import io.prefetchd.planner.Extent;
import io.prefetchd.planner.SampleExtents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

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

    @TempDir
    Path tmp;

    /** The same index persisted and mapped: it answers for its extent bounds, the toy index does not. */
    private DatasetIndex mapped(DatasetIndex index, String name) throws Exception {
        Path file = tmp.resolve(name);
        IndexStore.write(index, file);
        return IndexStore.read(file);
    }

    @Test
    void mappedIndex_givesTheSameBlocksAsCollectedBounds_withoutCollectingThem() throws Exception {
        DatasetIndex mapped = mapped(INDEX, "wds");
        assertNotNull(mapped.extentBounds());
        assertNull(INDEX.extentBounds());
        SampleExtents viewed = new BlockLayout(mapped, GRAIN).plannerView();
        SampleExtents collected = new BlockLayout(INDEX, GRAIN).plannerView();

        for (int s = 0; s < INDEX.sampleCount(); s++) {
            assertEquals(collected.extentsOf(s), viewed.extentsOf(s), "sample " + s);
        }
        assertEquals(new BlockLayout(INDEX, GRAIN).meanBlockBytes(), new BlockLayout(mapped, GRAIN).meanBlockBytes());
    }

    @Test
    void cutsOf_areEveryExtentStartAndEnd_fromTheIndexOrCollected() throws Exception {
        ObjectVersion s0 = new ObjectVersion("s0.tar", "e0", 40_000);
        long[] expected = {512, 3512, 4096, 5096, 6000, 36_000};
        for (DatasetIndex index : List.of(INDEX, mapped(INDEX, "wds"))) {
            CutSet cuts = new BlockLayout(index, GRAIN).cutsOf(s0);
            for (long pos = 0; pos < 40_000; pos += 250) {
                assertEquals(floor(expected, pos), cuts.floor(pos), "floor " + pos);
                assertEquals(higher(expected, pos), cuts.higher(pos), "higher " + pos);
            }
        }
    }

    @Test
    void cutsOf_theSameObjectVersion_fromARebuiltIndex_areEqual_soTheCacheReplacesThem() throws Exception {
        ObjectVersion s0 = new ObjectVersion("s0.tar", "e0", 40_000);
        CutSet first = new BlockLayout(mapped(INDEX, "a"), GRAIN).cutsOf(s0);
        CutSet again = new BlockLayout(mapped(INDEX, "b"), GRAIN).cutsOf(s0);

        assertEquals(first, again);
        assertEquals(again, CutSet.union(first, again));
    }

    @Test
    void cutsOf_anotherVersion_isEmpty() throws Exception {
        CutSet cuts = new BlockLayout(mapped(INDEX, "wds"), GRAIN).cutsOf(new ObjectVersion("s0.tar", "new", 40_000));

        assertEquals(Long.MAX_VALUE, cuts.higher(0));
    }

    @Test
    void filePerSample_isPlannedAsWholeFileBlocks_fromAMappedIndex() throws Exception {
        List<ObjectRef> files = List.of(new ObjectRef("d/a.jpg", 10_000, "ea"), new ObjectRef("d/b.jpg", 0, "eb"),
                new ObjectRef("d/c.jpg", 5000, "ec"));
        DatasetIndex index = mapped(filesIndex(files), "files");
        BlockLayout layout = new BlockLayout(index, GRAIN);

        assertEquals(List.of(new Extent(BlockLayout.objectId("d/a.jpg", "ea"), 0, 4096),
                new Extent(BlockLayout.objectId("d/a.jpg", "ea"), 4096, 4096),
                new Extent(BlockLayout.objectId("d/a.jpg", "ea"), 8192, 10_000 - 8192)), layout.plannerView().extentsOf(0));
        assertEquals(List.of(), layout.plannerView().extentsOf(1));
        assertEquals(2, layout.sampleAt("d/c.jpg", "ec", 4999));
        assertEquals(new ObjectVersion("d/c.jpg", "ec", 5000), layout.version(BlockLayout.objectId("d/c.jpg", "ec")));
        assertEquals(3, layout.versions().size());
    }

    private static DatasetIndex filesIndex(List<ObjectRef> files) {
        return new DatasetIndex() {
            @Override
            public DatasetSpec spec() {
                return DatasetSpec.files("d", FileLayout.SORTED);
            }

            @Override
            public long sampleCount() {
                return files.size();
            }

            @Override
            public String key(long sample) {
                return files.get((int) sample).key();
            }

            @Override
            public void forEachExtent(long sample, ExtentSink sink) {
                long size = files.get((int) sample).size();
                if (size > 0) {
                    sink.accept((int) sample, 0, size);
                }
            }

            @Override
            public List<ObjectRef> objects() {
                return files;
            }

            @Override
            public long totalBytes() {
                return files.stream().mapToLong(ObjectRef::size).sum();
            }

            @Override
            public long estimatedMemoryBytes() {
                return 0;
            }
        };
    }

    private static long floor(long[] sorted, long pos) {
        long f = -1;
        for (long c : sorted) {
            if (c <= pos) {
                f = c;
            }
        }
        return f;
    }

    private static long higher(long[] sorted, long pos) {
        for (long c : sorted) {
            if (c > pos) {
                return c;
            }
        }
        return Long.MAX_VALUE;
    }
}
