package io.prefetchd.planner;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExtentTableTest {
    /** Samples 0 and 2 share a.bin[0..10); b.bin's extents are listed out of offset order. */
    private static final List<List<Extent>> SAMPLES = List.of(
            List.of(new Extent("a.bin", 0, 10), new Extent("b.bin", 50, 5)),
            List.of(new Extent("b.bin", 0, 20)),
            List.of(new Extent("a.bin", 0, 10), new Extent("a.bin", 10, 4)));

    /** A dataset that can only be visited, as the gateway's block view of a mapped index is planned. */
    private static SampleExtents visitOnly(List<List<Extent>> samples) {
        return new SampleExtents() {
            @Override
            public int sampleCount() {
                return samples.size();
            }

            @Override
            public List<Extent> extentsOf(int sample) {
                throw new AssertionError("the table was built from records");
            }

            @Override
            public void forEachExtent(int sample, ExtentVisitor visitor) {
                samples.get(sample).forEach(e -> visitor.accept(e.object(), e.offset(), e.length()));
            }
        };
    }

    @Test
    void build_visitsTheDataset_andNumbersDistinctExtentsByFirstUse() {
        ExtentTable t = ExtentTable.of(visitOnly(SAMPLES));

        assertEquals(4, t.extentCount());
        assertEquals(new Extent("a.bin", 0, 10), t.extent(0));
        assertEquals(new Extent("b.bin", 50, 5), t.extent(1));
        assertEquals(new Extent("b.bin", 0, 20), t.extent(2));
        assertEquals(new Extent("a.bin", 10, 4), t.extent(3));
        assertEquals(t.extentAt(t.extentsStart(0)), t.extentAt(t.extentsStart(2)), "one id for a shared extent");
        assertEquals(39, t.datasetBytes());
    }

    @Test
    void idOf_findsEveryExtent_andNothingElse() {
        ExtentTable t = ExtentTable.of(visitOnly(SAMPLES));

        for (int id = 0; id < t.extentCount(); id++) {
            assertEquals(id, t.idOf(t.extent(id)));
        }
        assertEquals(-1, t.idOf(new Extent("a.bin", 0, 11)), "same start, other length");
        assertEquals(-1, t.idOf(new Extent("a.bin", 5, 5)));
        assertEquals(-1, t.idOf(new Extent("c.bin", 0, 10)));
    }

    @Test
    void neighbours_areChainedInOffsetOrder_perObject() {
        ExtentTable t = ExtentTable.of(visitOnly(SAMPLES));

        assertEquals(1, t.next(2), "b.bin[0..20) then b.bin[50..55)");
        assertEquals(2, t.prev(1));
        assertEquals(3, t.next(0));
        assertEquals(-1, t.next(3));
        assertEquals(-1, t.prev(2));
    }

    @Test
    void partialOverlap_isRefusedNamingBothSamples() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ExtentTable.of(visitOnly(
                List.of(List.of(new Extent("a.bin", 0, 10)), List.of(new Extent("a.bin", 5, 10))))));
        assertTrue(e.getMessage().contains("(sample 0)") && e.getMessage().contains("(sample 1)"), e.getMessage());
    }

    /** Read front to back: one shard of two-member samples, an empty sample, then one-extent samples of two files. */
    private static final List<List<Extent>> FRONT_TO_BACK = List.of(
            List.of(new Extent("train/s0.tar", 512, 100), new Extent("train/s0.tar", 612, 8)),
            List.of(new Extent("train/s0.tar", 1536, 50), new Extent("train/s0.tar", 1586, 8)),
            List.of(),
            List.of(new Extent("train/s1.tar", 0, 30)),
            List.of(new Extent("train/s1.tar", 4096, 30)),
            List.of(new Extent("train/f.jpg", 0, 7)));

    @Test
    void frontToBackDataset_isTheOrderedTable_withTheInternedTablesAnswers() {
        ExtentTable ordered = ExtentTable.of(visitOnly(FRONT_TO_BACK));
        ExtentTable interned = new InternedExtentTable(visitOnly(FRONT_TO_BACK));

        assertTrue(ordered instanceof OrderedExtentTable, ordered.getClass().getName());
        assertSameAnswers(interned, ordered);
    }

    @Test
    void oneExtentPerSample_keepsNoSampleStarts_andAnswersAsTheInternedTable() {
        List<List<Extent>> files = List.of(List.of(new Extent("a", 0, 5)), List.of(new Extent("b", 0, 6)),
                List.of(new Extent("c", 10, 7)));
        ExtentTable ordered = ExtentTable.of(visitOnly(files));

        assertTrue(ordered instanceof OrderedExtentTable, ordered.getClass().getName());
        assertSameAnswers(new InternedExtentTable(visitOnly(files)), ordered);
    }

    @Test
    void sharedOrOutOfOrderExtents_takeTheInternedTable() {
        assertTrue(ExtentTable.of(visitOnly(SAMPLES)) instanceof InternedExtentTable);
        assertTrue(ExtentTable.of(visitOnly(List.of(List.of(new Extent("a", 10, 5)), List.of(new Extent("a", 0, 5)))))
                instanceof InternedExtentTable);
        assertTrue(ExtentTable.of(visitOnly(List.of(List.of(new Extent("a", 0, 5)), List.of(new Extent("b", 0, 5)),
                List.of(new Extent("a", 5, 5))))) instanceof InternedExtentTable, "an object read again later");
    }

    /**
     * A dataset numbering its objects as {@code names} lists them, visited only by number: a table that asked it
     * for a name list (the visitor by name) fails.
     */
    private static NumberedObjects numbered(List<String> names, List<List<Extent>> samples) {
        return new NumberedObjects() {
            @Override
            public int sampleCount() {
                return samples.size();
            }

            @Override
            public List<Extent> extentsOf(int sample) {
                throw new AssertionError("the table was built from records");
            }

            @Override
            public void forEachExtent(int sample, ExtentVisitor visitor) {
                throw new AssertionError("the table listed the objects by name");
            }

            @Override
            public void forEachNumberedExtent(int sample, NumberedVisitor visitor) {
                samples.get(sample).forEach(e -> visitor.accept(names.indexOf(e.object()), e.offset(), e.length()));
            }

            @Override
            public int objectCount() {
                return names.size();
            }

            @Override
            public String objectName(int object) {
                return names.get(object);
            }

            @Override
            public int objectNumber(String name) {
                return names.indexOf(name);
            }
        };
    }

    @Test
    void numberedDataset_isPlannedByNumber_withTheInternedTablesAnswers() {
        List<String> names = List.of("train/s0.tar", "train/empty.tar", "train/s1.tar", "train/f.jpg",
                "train/never-read.jpg");
        ExtentTable ordered = ExtentTable.of(numbered(names, FRONT_TO_BACK));

        assertTrue(ordered instanceof OrderedExtentTable, ordered.getClass().getName());
        assertSameAnswers(new InternedExtentTable(visitOnly(FRONT_TO_BACK)), ordered);
        assertEquals(-1, ordered.idOf(new Extent("train/empty.tar", 0, 1)), "an object no sample reads");
        assertEquals(-1, ordered.idOf(new Extent("train/never-read.jpg", 0, 7)));
    }

    @Test
    void numberedFilePerSample_keepsNoRuns_andFindsPresentAndAbsentNames() {
        List<String> names = List.of("a/ä.jpg", "a/b.jpg", "a/empty.jpg", "a/日本.jpg", "a/z.jpg");
        List<List<Extent>> files = List.of(List.of(new Extent("a/ä.jpg", 0, 5)), List.of(new Extent("a/b.jpg", 0, 6)),
                List.of(), List.of(new Extent("a/日本.jpg", 0, 7)), List.of(new Extent("a/z.jpg", 0, 8)));
        ExtentTable ordered = ExtentTable.of(numbered(names, files));

        assertTrue(ordered instanceof OrderedExtentTable, ordered.getClass().getName());
        assertSameAnswers(new InternedExtentTable(visitOnly(files)), ordered);
        assertEquals(2, ordered.idOf(new Extent("a/日本.jpg", 0, 7)), "a name past an object no sample reads");
        assertEquals(new Extent("a/z.jpg", 0, 8), ordered.extent(3));
        assertEquals(-1, ordered.idOf(new Extent("a/日本.jpeg", 0, 7)));
        assertEquals(-1, ordered.next(0));
        assertEquals(-1, ordered.prev(3));
    }

    @Test
    void numberedIdentity_withUnreadObjectsAfterTheLast_answersAsTheInternedTable() {
        List<String> names = List.of("a", "b", "c", "d");
        List<List<Extent>> files = List.of(List.of(new Extent("a", 0, 5)), List.of(new Extent("b", 0, 6)));
        ExtentTable ordered = ExtentTable.of(numbered(names, files));

        assertTrue(ordered instanceof OrderedExtentTable, ordered.getClass().getName());
        assertSameAnswers(new InternedExtentTable(visitOnly(files)), ordered);
        assertEquals(-1, ordered.idOf(new Extent("d", 0, 5)));
    }

    @Test
    void numberedEmptyDataset_hasNoExtents_andFindsNothing() {
        ExtentTable t = ExtentTable.of(numbered(List.of(), List.of()));

        assertEquals(0, t.sampleCount());
        assertEquals(0, t.extentCount());
        assertEquals(-1, t.idOf(new Extent("a", 0, 1)));
    }

    @Test
    void numberedInAnotherOrderThanRead_isNumberedByFirstUse() {
        List<String> names = List.of("train/f.jpg", "train/s1.tar", "train/s0.tar");
        SampleExtents reversed = new ForwardingNumbered(numbered(names, FRONT_TO_BACK), FRONT_TO_BACK);
        ExtentTable ordered = ExtentTable.of(reversed);

        assertTrue(ordered instanceof OrderedExtentTable, ordered.getClass().getName());
        assertSameAnswers(new InternedExtentTable(visitOnly(FRONT_TO_BACK)), ordered);
    }

    @Test
    void numberedObjectReadAgainLater_orSharedExtent_takesTheInternedTable() {
        List<List<Extent>> again = List.of(List.of(new Extent("a", 0, 5)), List.of(new Extent("b", 0, 5)),
                List.of(new Extent("a", 5, 5)));
        List<List<Extent>> shared = List.of(List.of(new Extent("a", 0, 5)), List.of(new Extent("a", 0, 5)));

        assertTrue(ExtentTable.of(new ForwardingNumbered(numbered(List.of("a", "b"), again), again))
                instanceof InternedExtentTable);
        assertTrue(ExtentTable.of(new ForwardingNumbered(numbered(List.of("a"), shared), shared))
                instanceof InternedExtentTable);
    }

    /** A numbered dataset that can also be visited by name (for the table's fall-backs). */
    private record ForwardingNumbered(NumberedObjects numbered, List<List<Extent>> samples)
            implements NumberedObjects {
        @Override
        public int sampleCount() {
            return numbered.sampleCount();
        }

        @Override
        public List<Extent> extentsOf(int sample) {
            return samples.get(sample);
        }

        @Override
        public void forEachExtent(int sample, ExtentVisitor visitor) {
            samples.get(sample).forEach(e -> visitor.accept(e.object(), e.offset(), e.length()));
        }

        @Override
        public void forEachNumberedExtent(int sample, NumberedVisitor visitor) {
            numbered.forEachNumberedExtent(sample, visitor);
        }

        @Override
        public int objectCount() {
            return numbered.objectCount();
        }

        @Override
        public String objectName(int object) {
            return numbered.objectName(object);
        }

        @Override
        public int objectNumber(String name) {
            return numbered.objectNumber(name);
        }
    }

    private static void assertSameAnswers(ExtentTable expected, ExtentTable actual) {
        assertEquals(expected.sampleCount(), actual.sampleCount());
        assertEquals(expected.extentCount(), actual.extentCount());
        assertEquals(expected.datasetBytes(), actual.datasetBytes());
        assertEquals(expected.readBytes(), actual.readBytes());
        for (int e = 0; e < expected.extentCount(); e++) {
            assertEquals(expected.extent(e), actual.extent(e), "extent " + e);
            assertEquals(expected.next(e), actual.next(e), "next of " + e);
            assertEquals(expected.prev(e), actual.prev(e), "prev of " + e);
            assertEquals(expected.prefixOf(e), actual.prefixOf(e));
            assertEquals(e, actual.idOf(expected.extent(e)));
            assertEquals(expected.ownersEnd(e) - expected.ownersStart(e), actual.ownersEnd(e) - actual.ownersStart(e));
            for (int i = 0; i < expected.ownersEnd(e) - expected.ownersStart(e); i++) {
                assertEquals(expected.ownerAt(expected.ownersStart(e) + i), actual.ownerAt(actual.ownersStart(e) + i));
            }
        }
        for (int s = 0; s < expected.sampleCount(); s++) {
            assertEquals(expected.sampleBytes(s), actual.sampleBytes(s), "bytes of sample " + s);
            assertEquals(expected.extentsEnd(s) - expected.extentsStart(s), actual.extentsEnd(s) - actual.extentsStart(s));
            for (int i = 0; i < expected.extentsEnd(s) - expected.extentsStart(s); i++) {
                assertEquals(expected.extentAt(expected.extentsStart(s) + i), actual.extentAt(actual.extentsStart(s) + i));
            }
        }
        assertEquals(-1, actual.idOf(new Extent("train/s0.tar", 513, 99)));
        assertEquals(-1, actual.idOf(new Extent("nowhere", 0, 1)));
    }
}
