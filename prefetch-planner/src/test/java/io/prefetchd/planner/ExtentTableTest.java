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
