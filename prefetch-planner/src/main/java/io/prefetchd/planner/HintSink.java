package io.prefetchd.planner;

import static java.util.Objects.requireNonNull;

/**
 * Where the hint service hands each validated epoch order. The service has already checked every index
 * against the dataset's sample count, so a sink never sees an out-of-range sample. Republishing the same
 * (dataset, job, epoch, rank) calls {@link #accept} again; the newer order replaces the older one.
 *
 * <p>Implementations must be thread-safe: orders of different jobs arrive on different gRPC threads.
 */
public interface HintSink {

    /** One rank's accepted order for one epoch of one job. */
    record PublishedOrder(String datasetId, String job, int rank, int worldSize, EpochOrder order) {
        public PublishedOrder {
            requireNonNull(datasetId, "datasetId is null");
            requireNonNull(job, "job is null");
            requireNonNull(order, "order is null");
            if (worldSize < 1 || rank < 0 || rank >= worldSize) {
                throw new IllegalArgumentException("rank " + rank + " is not in a world of " + worldSize);
            }
        }

        public int epoch() {
            return order.epoch();
        }
    }

    void accept(PublishedOrder order);

    /** The job has finished reading the epoch. */
    void endEpoch(String datasetId, String job, int epoch);

    /** A sink that forgets everything. */
    HintSink NONE = new HintSink() {
        @Override
        public void accept(PublishedOrder order) {
        }

        @Override
        public void endEpoch(String datasetId, String job, int epoch) {
        }
    };
}
