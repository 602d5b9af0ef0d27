package io.prefetchd.formats;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SampleLocatorTest {
    /** Two objects: a.tar holds samples 1 and 0 (given out of order) after 512-byte headers; b.parquet one page
     * shared by samples 2 and 3. */
    private static final List<ObjectRef> OBJECTS = List.of(new ObjectRef("a.tar", 3072, "ea"),
            new ObjectRef("b.parquet", 1000, "eb"));
    private static final long[][] EXTENTS = { // sample -> {object, offset, length}
            {0, 2048, 1024}, {0, 512, 1024}, {1, 4, 500}, {1, 4, 500}};

    private static final DatasetIndex INDEX = ToyIndex.of(DatasetSpec.webDataset(""), OBJECTS, EXTENTS);

    private final SampleLocator locator = SampleLocator.of(INDEX);

    @Test
    void sampleAt_byteInsideAnExtent_isThatSample() {
        assertEquals(1, locator.sampleAt("a.tar", "ea", 512));
        assertEquals(1, locator.sampleAt("a.tar", "ea", 1535));
        assertEquals(0, locator.sampleAt("a.tar", "ea", 2048));
        assertEquals(0, locator.sampleAt("a.tar", "ea", 3071));
    }

    @Test
    void sampleAt_headerByte_isNone() {
        assertEquals(SampleLocator.NONE, locator.sampleAt("a.tar", "ea", 0));
        assertEquals(SampleLocator.NONE, locator.sampleAt("a.tar", "ea", 1536));
    }

    @Test
    void sampleAt_sharedExtent_isTheLowestSample() {
        assertEquals(2, locator.sampleAt("b.parquet", "eb", 4));
        assertEquals(2, locator.sampleAt("b.parquet", "eb", 503));
        assertEquals(SampleLocator.NONE, locator.sampleAt("b.parquet", "eb", 504), "the footer");
    }

    @Test
    void sampleAt_otherVersionOrUnknownObject_isNone_nullEtagMatchesAny() {
        assertEquals(SampleLocator.NONE, locator.sampleAt("a.tar", "changed", 512));
        assertEquals(SampleLocator.NONE, locator.sampleAt("c.tar", "ea", 512));
        assertEquals(1, locator.sampleAt("a.tar", null, 512));
    }
}
