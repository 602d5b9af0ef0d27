package io.prefetchd.gateway.cache;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CutSetTest {
    @Test
    void of_answersNeighbours_ofUnsortedRepeatedOffsets() {
        CutSet cuts = CutSet.of(300, 100, 300, 200);

        assertEquals(-1, cuts.floor(99));
        assertEquals(100, cuts.floor(100));
        assertEquals(200, cuts.floor(299));
        assertEquals(100, cuts.higher(0));
        assertEquals(300, cuts.higher(200));
        assertEquals(Long.MAX_VALUE, cuts.higher(300));
    }

    @Test
    void union_ofArrays_isTheirMergedArray() {
        assertEquals(CutSet.of(1, 2, 3, 5), CutSet.union(CutSet.of(1, 5), CutSet.of(2, 3, 5)));
    }

    @Test
    void union_ofViews_answersTheNearestCutOfEither() {
        CutSet odd = new Every(2, 1);
        CutSet tens = new Every(10, 0);
        CutSet both = CutSet.union(odd, tens);

        assertEquals(20, both.floor(20));
        assertEquals(21, both.higher(20));
        assertEquals(19, both.floor(19));
        assertEquals(20, both.higher(19));
    }

    @Test
    void union_withAnEqualSet_replacesIt_insteadOfGrowing() {
        CutSet a = new Every(10, 0);
        CutSet union = CutSet.union(CutSet.union(a, CutSet.of(5)), new Every(10, 0));

        assertEquals(new CutSet.Union(java.util.List.of(new Every(10, 0), CutSet.of(5))), union);
    }

    /** Every {@code step}-th offset from {@code phase}: a set that holds no offsets. */
    private record Every(long step, long phase) implements CutSet {
        @Override
        public long floor(long pos) {
            return pos < phase ? -1 : pos - Math.floorMod(pos - phase, step);
        }

        @Override
        public long higher(long pos) {
            return pos < phase ? phase : pos - Math.floorMod(pos - phase, step) + step;
        }
    }
}
