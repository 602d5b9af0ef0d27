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
        inForce.begin("ds-1", "run1", 0);
        assertEquals("run1", inForce.jobOf("ds-1"));
        assertNull(inForce.jobOf("ds-2"), "per dataset");
        inForce.end("ds-1", "run1");
        assertNull(inForce.jobOf("ds-1"), "after EndEpoch the reads are unhinted");
    }

    @Test
    void jobOf_twoJobs_mostRecentlyAcceptedWins_andTheOtherResumesWhenItEnds() {
        inForce.begin("ds-1", "a", 0);
        inForce.begin("ds-1", "b", 0);
        assertEquals("b", inForce.jobOf("ds-1"));
        inForce.begin("ds-1", "a", 1);
        assertEquals("a", inForce.jobOf("ds-1"), "a's next epoch is the latest accepted");
        inForce.end("ds-1", "a");
        assertEquals("b", inForce.jobOf("ds-1"));
    }
}
