package io.prefetchd.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The one rule for tests that need something from the machine (a QEMU guest, libnfs, Debian's Python packages):
 * skipped where it is missing, but never in CI. With the environment variable {@code CI} set, to any value, a
 * missing prerequisite fails the test, so a CI run cannot pass by skipping ({@code .ci/run} sets {@code CI} and
 * installs every prerequisite first).
 *
 * <p>Shared by every module's tests through this module's test-jar (this package only).
 */
public final class Prerequisites {
    private Prerequisites() {
    }

    /** True when the environment variable {@code CI} is set, whatever its value. */
    public static boolean inCi() {
        return System.getenv("CI") != null;
    }

    /**
     * Continues when {@code available}; otherwise fails the test in CI and skips it elsewhere, with
     * {@code whatIsMissing} (what to install) as the reason.
     */
    public static void require(boolean available, String whatIsMissing) {
        if (available) {
            return;
        }
        if (inCi()) {
            Assertions.fail("CI must run this test (CI is set), but: " + whatIsMissing);
        }
        Assumptions.abort(whatIsMissing);
    }
}
