package io.prefetchd.gateway.prefetch;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PrefetchBudgetTest {
    private static final long MS = 1_000_000L;
    private static final long LATENCY = 40 * MS;
    private static final int GET = 100_000;

    /**
     * Simulates GETs of 100 KB over a link of {@code linkBytesPerSecond} shared equally by the GETs in flight (as
     * TCP flows share a bottleneck), each starting with a first-byte latency of 40 +- 10 ms, with as many in flight as
     * the budget allows.
     * Returns the limit after {@code seconds} and the delivered rate over the last second.
     */
    private static double[] run(PrefetchBudget budget, double linkBytesPerSecond, double seconds) {
        long step = MS / 2;
        long end = (long) (seconds * 1e9);
        java.util.List<double[]> flights = new java.util.ArrayList<>(); // {started, remaining, latency, delivered}
        java.util.Random jitter = new java.util.Random(1);
        long deliveredLastSecond = 0;
        for (long now = 0; now < end; now += step) {
            for (int free = budget.freeSlots(now); free > 0; free--) {
                budget.take(GET);
                flights.add(new double[] {now, GET, LATENCY + (jitter.nextDouble() * 2 - 1) * 10 * MS,
                        budget.deliveredTotal()});
            }
            int transferring = 0;
            for (double[] f : flights) {
                if (now - f[0] >= f[2]) {
                    transferring++;
                }
            }
            double share = transferring == 0 ? 0 : linkBytesPerSecond * step / 1e9 / transferring;
            for (var it = flights.iterator(); it.hasNext(); ) {
                double[] f = it.next();
                if (now - f[0] >= f[2]) {
                    f[1] -= share;
                    if (f[1] <= 0) {
                        it.remove();
                        budget.give(GET);
                        budget.delivered(now, (long) f[0], (long) f[3], GET);
                        if (now >= end - 1_000 * MS) {
                            deliveredLastSecond += GET;
                        }
                    }
                }
            }
        }
        return new double[] {budget.limit(end), deliveredLastSecond};
    }

    @Test
    void coldStart_allowsTheMinimum() {
        PrefetchBudget budget = new PrefetchBudget(96, 256L << 20, LATENCY);
        assertEquals(PrefetchBudget.MIN_SLOTS, budget.freeSlots(0));
        assertEquals(3, new PrefetchBudget(3, 256L << 20, LATENCY).freeSlots(0), "never above the maximum");
    }

    @Test
    void slowLink_holdsAboutTwiceItsBandwidthDelayProduct_andStaysFull() {
        double link = 16 * 1048576.0; // B·L = 0.67 MB = 6.7 GETs
        PrefetchBudget budget = new PrefetchBudget(96, 256L << 20, LATENCY);
        double[] r = run(budget, link, 5);
        assertTrue(r[0] >= 12 && r[0] <= 24, "limit " + r[0] + " GETs: about 2 B·L / GET + 1");
        assertTrue(r[1] >= 0.9 * link, "the link stayed full: " + r[1] + " of " + link + " bytes/s");
    }

    @Test
    void fastLink_growsToFillIt() {
        double link = 200 * 1048576.0; // B·L = 8.4 MB = 84 GETs: more than MIN_SLOTS by far
        PrefetchBudget budget = new PrefetchBudget(400, 1L << 30, LATENCY);
        double[] r = run(budget, link, 5);
        assertTrue(r[0] >= 120, "slow start grew the limit to " + r[0]);
        assertTrue(r[1] >= 0.9 * link, "delivered " + r[1] + " of " + link + " bytes/s");
    }

    @Test
    void byteBound_stopsNewPrefetches() {
        PrefetchBudget budget = new PrefetchBudget(96, 250_000, LATENCY);
        budget.take(GET);
        budget.take(GET);
        assertTrue(budget.freeSlots(0) > 0);
        budget.take(GET);
        assertEquals(0, budget.freeSlots(0), "300 KB in flight of a 250 KB bound");
        budget.give(GET);
        assertTrue(budget.freeSlots(0) > 0);
    }

    @Test
    void rateIsForgottenAfterASecond() {
        PrefetchBudget budget = new PrefetchBudget(96, 256L << 20, LATENCY);
        for (int i = 0; i < 100; i++) { // 100 GETs started at 0, one completing every millisecond from 40 ms on
            budget.delivered(40 * MS + i * MS, 0, 0, GET);
        }
        assertTrue(budget.limit(100 * MS) > PrefetchBudget.MIN_SLOTS);
        assertEquals(PrefetchBudget.MIN_SLOTS, budget.limit(2_000 * MS), "idle for two seconds: back to the start");
    }
}
