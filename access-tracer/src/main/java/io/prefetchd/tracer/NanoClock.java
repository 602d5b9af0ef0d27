package io.prefetchd.tracer;

/**
 * The tracer's time source: nanoseconds since the Unix epoch (UTC).
 *
 * <p>Every record is stamped with it on the read path, and the writer uses it for the flush interval and the idle
 * gap, so tests drive both with a manual clock. An implementation must be cheap (it is called once per READ),
 * must not allocate, must be safe to call from any thread, and should not go backwards.
 */
@FunctionalInterface
public interface NanoClock {

    /** Nanoseconds since 1970-01-01T00:00:00Z. */
    long nanos();

    /**
     * The system clock: wall-clock time read once, then advanced with {@link System#nanoTime()}, so it is
     * monotonic and allocation-free. It does not follow later wall-clock steps (NTP); over days it can drift
     * from the wall clock by what the OS's monotonic clock drifts, which traces tolerate.
     */
    static NanoClock system() {
        return SystemNanoClock.INSTANCE;
    }
}
