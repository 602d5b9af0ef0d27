package io.prefetchd.planner;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine's parts: the extent table, the known future, the replay detector, the store estimator. */
final class BuildingBlocksTest {

    @Test
    void extentTable_partlyOverlappingExtents_areRejectedNamingBothSamples() {
        SampleExtents data = SampleExtents.of(List.of(
                List.of(new Extent("a", 0, 100)),
                List.of(new Extent("a", 50, 100))));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ExtentTable.of(data));
        assertEquals("extents a[0..100) (sample 0) and a[50..150) (sample 1) overlap; extents of one object must be "
                + "identical or disjoint", e.getMessage());
    }

    @Test
    void extentTable_identicalExtents_areShared_andChainedByOffset() {
        Extent x = new Extent("a", 100, 10);
        Extent y = new Extent("a", 0, 10);
        ExtentTable t = ExtentTable.of(SampleExtents.of(List.of(List.of(x), List.of(x, y))));
        assertEquals(2, t.extentCount());
        assertEquals(20, t.datasetBytes());
        assertEquals(t.idOf(x), t.next(t.idOf(y)));
        assertEquals(2, t.ownersEnd(t.idOf(x)) - t.ownersStart(t.idOf(x)));
    }

    @Test
    void knownFuture_nextUse_skipsReadPositions_andSpansEpochs() {
        KnownFuture f = new KnownFuture(5);
        f.put(EpochOrder.of(0, 3, 1, 3), 0);
        f.put(EpochOrder.of(1, 1, 3), 0);
        assertEquals(0, f.nextUse(3, 0));
        assertEquals(0, f.match(3, 0, 10));
        assertEquals(2, f.nextUse(3, 0));
        assertEquals(4, f.nextUse(3, 3));
        assertEquals(1, f.nextUse(1, 0));
        assertEquals(KnownFuture.NEVER, f.nextUse(4, 0));
    }

    @Test
    void knownFuture_match_outsideTheSlack_isNotAMatch() {
        KnownFuture f = new KnownFuture(100);
        f.put(EpochOrder.of(0, PlannerPropertiesTest.permutation(100, new java.util.Random(1))), 0);
        int far = f.sampleAt(90);
        assertEquals(-1, f.match(far, 0, 10));
        assertEquals(90, f.match(far, 80, 100));
    }

    @Test
    void knownFuture_laterEpoch_waitsForTheGap_thenFollows() {
        KnownFuture f = new KnownFuture(4);
        f.put(EpochOrder.of(0, 0, 1), 0);
        f.put(EpochOrder.of(2, 2, 3), 0);
        assertEquals(2, f.end());
        f.put(EpochOrder.of(1, 1, 0), 0);
        assertEquals(6, f.end());
        assertEquals(4, f.nextUse(2, 0));
    }

    @Test
    void knownFuture_rebase_movesTheEpochToWhereItStarted() {
        KnownFuture f = new KnownFuture(4);
        f.put(EpochOrder.of(0, 0, 1, 2, 3), 0);
        f.put(EpochOrder.of(1, 3, 2), 0);
        assertTrue(f.rebase(1, 2)); // epoch 0 ended early (drop_last)
        assertEquals(2, f.start());
        assertEquals(2, f.nextUse(3, 0));
    }

    @Test
    void replayDetector_sameOrder_isPredictedAfterTheThreshold() {
        ReplayDetector d = new ReplayDetector(100, 8, 16);
        int[] order = PlannerPropertiesTest.permutation(100, new java.util.Random(2));
        for (int s : order) {
            d.observe(s);
        }
        d.epochEnded();
        int from = -1;
        for (int i = 0; i < 8; i++) {
            from = d.observe(order[i]);
        }
        assertEquals(8, from, "the prediction starts at the first sample not read yet");
        assertEquals(order[8], d.predictFrom(from, 1).sampleAt(0));
    }

    @Test
    void replayDetector_sameOrderFromConcurrentReaders_isPredicted() {
        // no read follows its predecessor of last epoch exactly, but every read is near its place
        ReplayDetector d = new ReplayDetector(1000, 32, 16);
        int[] order = PlannerPropertiesTest.permutation(1000, new java.util.Random(3));
        int[] last = PlannerPropertiesTest.interleaved(order, 1);
        for (int s : last) {
            d.observe(s);
        }
        d.epochEnded();
        int[] again = PlannerPropertiesTest.interleaved(order, 2);
        int from = -1;
        for (int i = 0; i < 32; i++) {
            from = d.observe(again[i]);
        }
        assertTrue(from >= 24 && from <= 32, "the prediction starts at the first sample not read yet: " + from);
        java.util.Set<Integer> readSoFar = new java.util.HashSet<>();
        for (int i = 0; i < 32; i++) {
            readSoFar.add(again[i]);
        }
        assertTrue(!readSoFar.contains(last[from]), "a reader behind the others finds its sample predicted");
        for (int p = 0; p < from; p++) {
            assertTrue(readSoFar.contains(last[p]), "everything before the prediction was read: " + p);
        }
        assertEquals(last[from], d.predictFrom(from, 1).sampleAt(0), "the rest of last epoch's order");
    }

    @Test
    void replayDetector_reshuffledEpoch_isNotAReplay() {
        ReplayDetector d = new ReplayDetector(1000, 32, 16);
        for (int s : PlannerPropertiesTest.permutation(1000, new java.util.Random(4))) {
            d.observe(s);
        }
        d.epochEnded();
        int hit = -1;
        for (int s : PlannerPropertiesTest.permutation(1000, new java.util.Random(5))) {
            hit = Math.max(hit, d.observe(s));
        }
        assertEquals(-1, hit);
    }

    @Test
    void replayDetector_learnedEpochsFromConcurrentReaders_predictTheNextWhole() {
        ReplayDetector d = new ReplayDetector(1000, 32, 16);
        int[] order = PlannerPropertiesTest.permutation(1000, new java.util.Random(6));
        d.learn(EpochOrder.of(0, PlannerPropertiesTest.interleaved(order, 7)));
        d.learn(EpochOrder.of(1, PlannerPropertiesTest.interleaved(order, 8)));
        EpochOrder whole = d.predictWholeEpoch(2);
        assertTrue(whole != null && whole.size() == 1000, "a repeated order, locally permuted, is a repeat");
    }

    @Test
    void replayDetector_sameRunElsewhereInTheEpoch_isNotAReplay() {
        // a shard read in the same inner order, but at another place in the epoch
        ReplayDetector d = new ReplayDetector(100, 8, 16);
        for (int s = 0; s < 100; s++) {
            d.observe(s);
        }
        d.epochEnded();
        int hit = -1;
        for (int s = 50; s < 100; s++) {
            hit = Math.max(hit, d.observe(s));
        }
        assertEquals(-1, hit);
    }

    @Test
    void replayDetector_wholeRepeatedEpoch_predictsTheNextFromItsStart() {
        ReplayDetector d = new ReplayDetector(10, 4, 4);
        for (int e = 0; e < 2; e++) {
            for (int s = 0; s < 10; s++) {
                d.observe(s);
            }
            d.epochEnded();
        }
        assertEquals(EpochOrder.of(2, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9), d.predictWholeEpoch(2));
    }

    @Test
    void estimator_beforeEnoughObservations_returnsThePrior() {
        StoreModel prior = StoreModel.of(Duration.ofMillis(40), 100_000_000, 64);
        StoreModelEstimator est = Planners.estimator(prior);
        est.observe(new FetchObservation(1_000, 0, 1_000_000, 2_000_000));
        assertSame(prior, est.current());
    }

    @Test
    void estimator_queueingBehindOurOwnFetches_doesNotReadAsLatency() {
        // a FIFO pipe at 50 MB/s with 20 ms first byte, loaded with back-to-back 1 MB fetches issued together
        StoreModelEstimator est = Planners.estimator(StoreModel.of(Duration.ofMillis(100), 1, 8));
        long linkFree = 0;
        for (int i = 0; i < 64; i++) {
            long issued = i < 4 ? 0 : (i - 3) * 20_000_000L;
            long first = Math.max(issued + 20_000_000L, linkFree);
            long done = first + 20_000_000L; // 1 MB at 50 MB/s
            linkFree = done;
            est.observe(new FetchObservation(1_000_000, issued, first, done));
        }
        StoreModel m = est.current();
        assertEquals(Duration.ofMillis(20), m.firstByteLatency());
        assertTrue(Math.abs(m.bytesPerSecond() - 50_000_000) < 1_000_000, "bandwidth " + m.bytesPerSecond());
        assertEquals(8, m.maxConcurrentRequests());
    }

    @Test
    void records_rejectNonsense() {
        assertThrows(IllegalArgumentException.class, () -> new Extent("a", -1, 1));
        assertThrows(IllegalArgumentException.class, () -> new Extent("a", 0, 0));
        assertThrows(NullPointerException.class, () -> new Extent(null, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> EpochOrder.of(0, 1, -2));
        assertThrows(IllegalArgumentException.class, () -> StoreModel.of(Duration.ofMillis(1), 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new FetchObservation(1, 10, 5, 20));
        assertThrows(IllegalArgumentException.class, () -> new Fetch(1, "a", 0, 10,
                List.of(new Extent("b", 0, 5)), true, List.of(), 0, false));
    }
}
