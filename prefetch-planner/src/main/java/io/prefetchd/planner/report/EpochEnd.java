package io.prefetchd.planner.report;

import java.util.Locale;

/**
 * What ended an epoch, as its report says ({@code "ended"} in JSON). Every epoch a job ran gives one complete
 * report, whichever of these ended it; only {@link #RUNNING} marks a partial report.
 */
public enum EpochEnd {
    /** Not ended: a partial report of an epoch in progress. */
    RUNNING,
    /** The next epoch started: the job published it, or its reads began it (a wrap-around or a read after idling). */
    NEXT_EPOCH,
    /** The job said it finished the epoch ({@code EndEpoch}). */
    END_EPOCH,
    /** Its reader was silent longer than the idle gap (an epoch without hints): the reads it had. */
    IDLE,
    /** The gateway stopped, or the dataset's planner was replaced, during the epoch: the reads it had. */
    SHUTDOWN,
    /** A report saved before reports said how their epoch ended. */
    UNKNOWN;

    /** The name in JSON and text: {@code next_epoch}. */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The value named {@code name} ({@link #jsonName}).
     *
     * @throws IllegalArgumentException for a name no value has
     */
    public static EpochEnd fromJsonName(String name) {
        for (EpochEnd e : values()) {
            if (e.jsonName().equals(name)) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown epoch end \"" + name + "\"");
    }
}
