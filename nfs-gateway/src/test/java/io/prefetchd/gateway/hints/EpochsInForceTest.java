package io.prefetchd.gateway.hints;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Which job's hinted epoch a dataset's reads belong to. */
class EpochsInForceTest {
    private final EpochsInForce inForce = new EpochsInForce();

    @Test
    void jobOf_noEpochAccepted_isNull() {
        assertNull(inForce.jobOf("ds-1"));
    }

    @Test
    void jobOf_acceptedEpoch_isItsJob_untilEnded() {
        inForce.begin("ds-1", "run1", 0, 0, 1);
        assertEquals("run1", inForce.jobOf("ds-1"));
        assertNull(inForce.jobOf("ds-2"), "per dataset");
        inForce.end("ds-1", "run1");
        assertNull(inForce.jobOf("ds-1"), "after EndEpoch the reads are unhinted");
    }

    @Test
    void jobOf_twoJobs_mostRecentlyAcceptedWins_andTheOtherResumesWhenItEnds() {
        inForce.begin("ds-1", "a", 0, 0, 1);
        inForce.begin("ds-1", "b", 0, 0, 1);
        assertEquals("b", inForce.jobOf("ds-1"));
        inForce.begin("ds-1", "a", 1, 0, 1);
        assertEquals("a", inForce.jobOf("ds-1"), "a's next epoch is the latest accepted");
        inForce.end("ds-1", "a");
        assertEquals("b", inForce.jobOf("ds-1"));
    }

    @Test
    void rank_oneRankJob_isItsRank_severalRanks_unknown() {
        inForce.begin("ds-1", "single", 0, 0, 1);
        assertEquals(new EpochsInForce.InForce("single", 0, 0), inForce.of("ds-1"));
        inForce.begin("ds-1", "ddp", 3, 1, 4);
        assertEquals(new EpochsInForce.InForce("ddp", 3, EpochsInForce.UNKNOWN_RANK), inForce.of("ds-1"),
                "NFS does not say which of the four ranks read");
    }
}
