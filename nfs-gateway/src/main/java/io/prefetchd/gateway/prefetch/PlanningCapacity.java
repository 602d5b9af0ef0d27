package io.prefetchd.gateway.prefetch;

/**
 * The cache bytes this gateway's planners plan for. Alone, the bytes of its own cache. In a fleet, each member
 * fetches and keeps only the blocks it owns of what its planners plan, so the planners plan for the fleet's cache:
 * a member owning a third of the blocks plans for three times its own cache and holds a third of that plan.
 *
 * <p>Implementations are thread-safe and cheap: the executor asks on every tick.
 */
@FunctionalInterface
public interface PlanningCapacity {

    /** The bytes to plan for, given the {@code localBytes} of this gateway's own cache that planners may fill. */
    long bytes(long localBytes);

    /** A gateway alone: its own cache. */
    PlanningCapacity LOCAL = localBytes -> localBytes;
}
