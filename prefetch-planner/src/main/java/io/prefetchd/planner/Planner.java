package io.prefetchd.planner;

import java.util.List;

/**
 * A prefetch planner: a deterministic state machine that the gateway's executor (or the simulator) feeds with
 * events and whose orders it carries out. It does no I/O and reads no clock: every call carries the caller's time
 * in nanoseconds (any origin, monotone).
 *
 * <h2>The seam</h2>
 * <pre>
 *   hint service ──publish(order)──────────────┐
 *   tracer ────────onEpochStart(epoch, now)────┤
 *   NFS READ ──────onRead(sample, now)─────────┼──> Planner ──> demand Fetch list (issue now, ahead of all else)
 *   fetch slots free ──poll(now, free)─────────┤            ──> prefetch Fetch list (in order of need)
 *   GET done/failed ──onFetchCompleted/Failed──┤
 *   cache dropped something ──onEvicted────────┘
 * </pre>
 * The planner keeps its own ledger of what it asked the cache to hold. Its orders never need more than the
 * capacity it was given, counting bytes in flight: the executor must evict {@link Fetch#evictFirst()} before it
 * writes a fetch's bytes, and tell the planner about any other eviction.
 *
 * <p><b>Thread-safety:</b> implementations are not thread-safe; the executor calls one planner from one thread
 * (or under one lock). Calls are cheap (amortised O(log n) per extent).
 */
public interface Planner {

    /**
     * Publishes the order of an epoch: the current one (replacing what was known), or the next one ahead of time,
     * so that the planner can prefetch across the boundary.
     *
     * @throws IllegalArgumentException if the order names a sample the dataset does not have
     */
    void publish(EpochOrder order);

    /** An epoch began: the next read is its first. Optional when hints are published in order. */
    void onEpochStart(int epoch, long nowNanos);

    /**
     * The reader starts over: the same job run again, a job resumed from an earlier epoch, or another job. What was
     * known of the future is forgotten (it was the old run's) and epochs count afresh, so the next order may be for
     * an epoch number already seen; what is cached stays, and is kept or evicted by the new run's orders.
     */
    void restart();

    /**
     * A reader asked for {@code sample}. Returns the demand fetches for its extents that are neither cached nor
     * in flight (empty when everything is there or coming).
     *
     * @throws IllegalArgumentException if the sample does not exist
     */
    List<Fetch> onRead(int sample, long nowNanos);

    /** Prefetches to issue now, at most {@code maxRequests}, in order of need (deadlines non-decreasing). */
    List<Fetch> poll(long nowNanos, int maxRequests);

    /** A fetch's bytes arrived and were stored (or handed to the reader if it was not to be cached). */
    void onFetchCompleted(long fetchId, long nowNanos);

    /** A fetch failed or was cancelled: nothing was stored; the planner will plan those bytes again. */
    void onFetchFailed(long fetchId, long nowNanos);

    /** The cache dropped an extent on its own (disk full, ETag change, operator). Unknown extents are ignored. */
    void onEvicted(Extent extent);

    /** A new estimate of the store (from {@link StoreModelEstimator}); resizes the window at the next epoch. */
    void updateStoreModel(StoreModel model);

    /**
     * The capacity changes to {@code capacityBytes} (the executor shares one cache between datasets). Growing
     * takes effect at once. Shrinking returns the extents the executor must drop from the cache now: what was read
     * and is needed last first, then the stable set's excess, then prefetched bytes not read yet (planned again
     * later). Bytes in flight cannot be dropped; while they keep the planner above {@code capacityBytes},
     * {@link #capacityBytes()} says so, and the executor calls again once they landed.
     *
     * @throws IllegalArgumentException if {@code capacityBytes} is negative
     * @throws UnsupportedOperationException for planners with a fixed capacity (the simulator's baselines)
     */
    default List<Extent> resize(long capacityBytes) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has a fixed capacity");
    }

    /** The bytes this planner may plan for now: its capacity, or more while a shrink waits for bytes in flight. */
    default long capacityBytes() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not report its capacity");
    }
}
