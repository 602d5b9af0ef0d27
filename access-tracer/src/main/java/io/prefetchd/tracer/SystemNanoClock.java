package io.prefetchd.tracer;

import java.time.Instant;

/** {@link NanoClock#system()}: wall time anchored once, advanced by the monotonic clock. Immutable, thread-safe. */
final class SystemNanoClock implements NanoClock {
    static final SystemNanoClock INSTANCE = new SystemNanoClock();

    private final long offset;

    private SystemNanoClock() {
        Instant now = Instant.now();
        long epochNanos = Math.addExact(Math.multiplyExact(now.getEpochSecond(), 1_000_000_000L), now.getNano());
        this.offset = epochNanos - System.nanoTime();
    }

    @Override
    public long nanos() {
        return offset + System.nanoTime();
    }
}
