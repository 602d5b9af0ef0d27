package io.prefetchd.gateway.hints;

import io.prefetchd.planner.HintSink;

import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * The prefetch planners as the hint service sees them. Every failure to plan comes back to the caller, so that the
 * hint service can answer the job with it instead of accepting a hint no planner will use.
 *
 * <p>Implementations are thread-safe and never block: each answer is a future.
 */
public interface Planning {

    /**
     * Completes when the dataset has a planner; completes exceptionally with a {@link PlanningException} when it
     * cannot be planned (the dataset is then served without prefetch).
     */
    CompletableFuture<Void> whenPlanned(String datasetId);

    /**
     * Hands a validated order to the dataset's planner. Completes once the planner took it, exceptionally with a
     * {@link PlanningException} when the dataset has no planner or the planner refused the order.
     */
    CompletableFuture<Void> publish(HintSink.PublishedOrder order);

    /** The job has finished reading the epoch. */
    void endEpoch(String datasetId, String job, int epoch);

    /** How far the job's epoch is, as far as the planner knows ({@link Progress#NONE} when it does not). */
    CompletableFuture<Progress> progress(String datasetId, String job, int epoch);

    /**
     * Samples of the epoch's published order whose bytes are in the cache ({@code fetched}, read ones included) and
     * samples of it read by the job ({@code consumed}).
     */
    record Progress(long fetched, long consumed) {
        public static final Progress NONE = new Progress(0, 0);
    }

    /** A dataset cannot be planned, or its planner refused an order; the message names the dataset and the cause. */
    final class PlanningException extends RuntimeException {
        public PlanningException(String message, @Nullable Throwable cause) {
            super(message, cause);
        }
    }

    /** Without planners (the planner is off): every dataset counts as planned and orders go to {@code sink}. */
    static Planning forwardingTo(HintSink sink) {
        requireNonNull(sink, "sink is null");
        return new Planning() {
            @Override
            public CompletableFuture<Void> whenPlanned(String datasetId) {
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public CompletableFuture<Void> publish(HintSink.PublishedOrder order) {
                sink.accept(order);
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public void endEpoch(String datasetId, String job, int epoch) {
                sink.endEpoch(datasetId, job, epoch);
            }

            @Override
            public CompletableFuture<Progress> progress(String datasetId, String job, int epoch) {
                return CompletableFuture.completedFuture(Progress.NONE);
            }
        };
    }
}
