package io.prefetchd.gateway.testing;

import io.grpc.stub.StreamObserver;
import io.prefetchd.planner.proto.EpochHeader;
import io.prefetchd.planner.proto.HintsGrpc;
import io.prefetchd.planner.proto.IndexChunk;
import io.prefetchd.planner.proto.PublishEpochRequest;
import io.prefetchd.planner.proto.PublishEpochResponse;

import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Publishes an epoch's order over the hint API's client stream, as a job's sampler does, and waits for the answer. */
public final class PublishEpoch {
    private PublishEpoch() {
    }

    /**
     * Sends the header of {@code epoch} of {@code job} (rank 0 of 1) and the order in one chunk.
     *
     * @throws Exception the call's error (a {@link io.grpc.StatusRuntimeException} when the gateway refused it)
     */
    public static PublishEpochResponse publish(HintsGrpc.HintsStub stub, String datasetId, String job, int epoch,
                                               List<Integer> order) throws Exception {
        return publish(stub, EpochHeader.newBuilder().setDatasetId(datasetId).setJob(job).setEpoch(epoch)
                .setWorldSize(1).build(), List.of(IndexChunk.newBuilder().addAllIndices(order).build()).iterator());
    }

    /** As above, the order given as indices. */
    public static PublishEpochResponse publish(HintsGrpc.HintsStub stub, String datasetId, String job, int epoch,
                                               int... order) throws Exception {
        return publish(stub, datasetId, job, epoch, java.util.Arrays.stream(order).boxed().toList());
    }

    /**
     * Sends {@code header}, then {@code chunks} until they run out or the gateway has answered (an error ends the
     * stream early), and waits up to 30 s for the answer.
     */
    public static PublishEpochResponse publish(HintsGrpc.HintsStub stub, EpochHeader header,
                                               Iterator<IndexChunk> chunks) throws Exception {
        return publish(stub, header, chunks, Duration.ofSeconds(30));
    }

    /** As above, waiting up to {@code timeout} for the answer (a very long order). */
    public static PublishEpochResponse publish(HintsGrpc.HintsStub stub, EpochHeader header,
                                               Iterator<IndexChunk> chunks, Duration timeout) throws Exception {
        CompletableFuture<PublishEpochResponse> done = new CompletableFuture<>();
        StreamObserver<PublishEpochRequest> req = stub.publishEpoch(new StreamObserver<>() {
            @Override
            public void onNext(PublishEpochResponse r) {
                done.complete(r);
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
            }
        });
        req.onNext(PublishEpochRequest.newBuilder().setHeader(header).build());
        while (chunks.hasNext() && !done.isDone()) {
            req.onNext(PublishEpochRequest.newBuilder().setIndices(chunks.next()).build());
        }
        req.onCompleted();
        try {
            return done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception x ? x : e;
        }
    }
}
