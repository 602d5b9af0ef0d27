package io.prefetchd.gateway.fleet;

import org.jspecify.annotations.Nullable;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import static java.util.Objects.requireNonNull;

/**
 * The member each partition last moved away from, while its copies of the partition's grains are worth asking for:
 * for a window after the move, and only while that member is in the fleet. One entry per partition (the latest
 * move), so the table never holds more than the partition count.
 *
 * <p>Thread-safe.
 */
final class PreviousOwners {
    private final Duration window;
    private final Clock clock;
    private final ConcurrentMap<Integer, Move> moves = new ConcurrentHashMap<>();

    /** A partition's latest move away from member {@code from}, at {@code at}. */
    private record Move(String from, Instant at) {
    }

    /**
     * @param window how long after a move the previous owner is asked; zero to never ask
     */
    PreviousOwners(Duration window, Clock clock) {
        this.window = requireNonNull(window, "window is null");
        this.clock = requireNonNull(clock, "clock is null");
        if (window.isNegative()) {
            throw new IllegalArgumentException("window is negative: " + window);
        }
    }

    /**
     * Partition {@code partition}'s primary replica moved away from member {@code from} just now; null when it had no
     * owner that can be asked (a member that died), which forgets an earlier move.
     */
    void moved(int partition, @Nullable String from) {
        if (from == null || window.isZero()) {
            moves.remove(partition);
        } else {
            moves.put(partition, new Move(from, clock.instant()));
        }
    }

    /** Member {@code memberId} left the fleet: it can no longer be asked. */
    void left(String memberId) {
        requireNonNull(memberId, "memberId is null");
        moves.values().removeIf(m -> m.from().equals(memberId));
    }

    /** The member partition {@code partition} moved away from within the window, or null. */
    @Nullable String from(int partition) {
        Move m = moves.get(partition);
        if (m == null) {
            return null;
        }
        if (clock.instant().isAfter(m.at().plus(window))) {
            moves.remove(partition, m);
            return null;
        }
        return m.from();
    }

    /** Whether some partition moved within the window; forgets the moves that are older. */
    boolean anyRecent() {
        if (moves.isEmpty()) {
            return false;
        }
        Instant oldest = clock.instant().minus(window);
        moves.values().removeIf(m -> m.at().isBefore(oldest));
        return !moves.isEmpty();
    }
}
