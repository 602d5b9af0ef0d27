package io.prefetchd.tracer;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A {@link NanoClock} that moves only when told. Thread-safe. */
final class ManualClock implements NanoClock {
    /** 2026-01-01T00:00:00Z. */
    static final long START = 1_767_225_600_000_000_000L;

    private final AtomicLong now = new AtomicLong(START);

    @Override
    public long nanos() {
        return now.get();
    }

    void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }
}
