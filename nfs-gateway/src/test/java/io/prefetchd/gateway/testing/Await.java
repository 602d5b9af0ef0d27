package io.prefetchd.gateway.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** How a test waits for what another thread or process does: it polls a condition, up to a deadline. */
public final class Await {
    /** Long enough for a kernel client in a guest or a fleet's engine on a loaded 2-core machine. */
    public static final Duration DEADLINE = Duration.ofMinutes(2);
    private static final long POLL_MILLIS = 20;

    private Await() {
    }

    /**
     * Returns once {@code condition} holds; fails the test naming {@code what} when it does not within
     * {@link #DEADLINE}.
     */
    public static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + DEADLINE.toSeconds() + " s waiting for " + what);
            }
            Thread.sleep(POLL_MILLIS);   // polling state with a deadline, not timing a result
        }
    }
}
