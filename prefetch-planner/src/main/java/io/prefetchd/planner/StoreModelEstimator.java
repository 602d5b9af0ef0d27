package io.prefetchd.planner;

/**
 * Estimates the {@link StoreModel} from real fetches, for {@link Planner#updateStoreModel}.
 *
 * <p>Latency is a windowed minimum of time to first byte (like BBR's min-RTT): queueing behind our own prefetches
 * must not read as "S3 got slower", or a bandwidth-bound planner would grow its window and shrink its pinned set,
 * which costs more S3 bytes. Bandwidth is the aggregate rate over recent completions while requests were in flight.
 * Not thread-safe: one executor thread feeds it.
 */
public interface StoreModelEstimator {

    void observe(FetchObservation observation);

    /** The current estimate (the prior until enough observations arrived). */
    StoreModel current();
}
