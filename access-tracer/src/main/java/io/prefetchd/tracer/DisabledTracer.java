package io.prefetchd.tracer;

import java.util.concurrent.CompletableFuture;

/** {@link AccessTracer#disabled()}: records nothing. Stateless. */
final class DisabledTracer implements AccessTracer {
    static final DisabledTracer INSTANCE = new DisabledTracer();

    private DisabledTracer() {
    }

    @Override
    public void record(String dataset, String job, int rank, long clientId, String clientAddress, String objectKey,
                       String etag, long fileId, long sample, long offset, int length, Outcome outcome,
                       long s3WaitNanos) {
    }

    @Override
    public void beginEpoch(String dataset, String job, int epoch) {
    }

    @Override
    public void endEpoch(String dataset, String job) {
    }

    @Override
    public void datasetSize(String dataset, long bytes) {
    }

    @Override
    public CompletableFuture<Void> flush() {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public TracerStats stats() {
        return new TracerStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    @Override
    public void close() {
    }
}
