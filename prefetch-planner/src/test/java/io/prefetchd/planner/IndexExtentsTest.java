package io.prefetchd.planner;

import io.prefetchd.formats.DatasetIndex;
import io.prefetchd.formats.DatasetSpec;
import io.prefetchd.formats.ExtentSink;
import io.prefetchd.formats.ObjectRef;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IndexExtentsTest {
    /** Two shards of three 100-byte samples each, a 512-byte header before each sample. */
    private static final DatasetIndex INDEX = new DatasetIndex() {
        @Override
        public DatasetSpec spec() {
            return DatasetSpec.webDataset("train");
        }

        @Override
        public long sampleCount() {
            return 6;
        }

        @Override
        public String key(long sample) {
            return "k" + sample;
        }

        @Override
        public void forEachExtent(long sample, ExtentSink sink) {
            sink.accept((int) (sample / 3), (sample % 3) * 612 + 512, 100);
        }

        @Override
        public List<ObjectRef> objects() {
            return List.of(new ObjectRef("train/a.tar", 2048, "e1"), new ObjectRef("train/b.tar", 2048, "e2"));
        }

        @Override
        public long totalBytes() {
            return 4096;
        }

        @Override
        public long estimatedMemoryBytes() {
            return 0;
        }
    };

    @Test
    void indexView_namesExtentsByObjectKey_inTheIndexsOrder() {
        SampleExtents view = SampleExtents.of(INDEX);

        assertEquals(6, view.sampleCount());
        assertEquals(List.of(new Extent("train/b.tar", 1124, 100)), view.extentsOf(4));
    }

    @Test
    void indexView_isPlannedWithoutCopyingExtents() {
        ExtentTable t = ExtentTable.of(SampleExtents.of(INDEX));

        assertTrue(t instanceof OrderedExtentTable, t.getClass().getName());
        assertEquals(6, t.extentCount());
        assertEquals(new Extent("train/a.tar", 1736, 100), t.extent(2));
        assertEquals(-1, t.next(2), "the last sample of a shard has no neighbour after it");
    }

    @Test
    void indexView_numbersObjectsAsTheIndex_andFindsKeysByTheIndexsLookUp() {
        NumberedObjects view = (NumberedObjects) SampleExtents.of(INDEX);
        ExtentTable t = ExtentTable.of(view);

        assertEquals(2, view.objectCount());
        assertEquals("train/b.tar", view.objectName(1));
        assertEquals(1, view.objectNumber("train/b.tar"));
        assertEquals(-1, view.objectNumber("train/c.tar"));
        assertEquals(3, t.idOf(new Extent("train/b.tar", 512, 100)));
        assertEquals(-1, t.idOf(new Extent("train/c.tar", 512, 100)));
    }
}
