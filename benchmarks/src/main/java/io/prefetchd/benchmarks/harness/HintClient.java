package io.prefetchd.benchmarks.harness;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.prefetchd.planner.proto.EpochHeader;
import io.prefetchd.planner.proto.EpochRef;
import io.prefetchd.planner.proto.HintsGrpc;
import io.prefetchd.planner.proto.IndexChunk;
import io.prefetchd.planner.proto.PublishEpochRequest;
import io.prefetchd.planner.proto.PublishEpochResponse;
import io.prefetchd.planner.proto.RegisterDatasetRequest;
import io.prefetchd.planner.proto.RegisterDatasetResponse;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * A job's side of a daemon's hint API (gRPC on loopback), as the Python client uses it: RegisterDataset once, then
 * PublishEpoch of each rank's order before the rank reads it, EndEpoch after it. Not thread-safe.
 */
final class HintClient implements AutoCloseable {
    /** How long RegisterDataset may take: the daemon builds the index first (2 GiB at 32 MiB/s: over a minute). */
    private static final long REGISTER_DEADLINE_MINUTES = 30;
    /** Indices per PublishEpoch message. */
    private static final int CHUNK = 256 * 1024;

    private final ManagedChannel channel;
    private final List<String> notes;
    private String datasetId = "";

    /** Talks to the hint API on {@code port}; what it had to work around goes to {@code notes}. */
    HintClient(int port, List<String> notes) {
        this.notes = requireNonNull(notes, "notes is null");
        this.channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
                .maxInboundMessageSize(16 << 20).build();
    }

    /**
     * Registers {@code dataset} by its folder (RegisterDataset with {@code path "/<folder>"}, {@code export_path
     * "<folder>"}, {@code sample_count 0}), which returns when the daemon's index of it is built, and checks that the
     * daemon counts the harness's samples. A daemon that refuses {@code sample_count 0} is asked again with the
     * harness's count, and a note says so.
     */
    void register(Dataset dataset) {
        RegisterDatasetRequest.Builder req = RegisterDatasetRequest.newBuilder()
                .setPath("/" + dataset.folder()).setFormat(dataset.layout()).setExportPath(dataset.folder())
                .setSampleCount(0);
        RegisterDatasetResponse r;
        try {
            r = stub().registerDataset(req.build());
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() != Status.Code.INVALID_ARGUMENT) {
                throw e;
            }
            notes.add("RegisterDataset with sample_count 0 refused (" + e.getStatus().getDescription()
                    + "): registered with the harness's count " + dataset.samples().size());
            r = stub().registerDataset(req.setSampleCount(dataset.samples().size()).build());
        }
        if (r.getSampleCount() != dataset.samples().size()) {
            throw new IllegalStateException("the gateway counts " + r.getSampleCount() + " samples in /"
                    + dataset.folder() + ", the harness " + dataset.samples().size());
        }
        datasetId = r.getDatasetId();
    }

    private HintsGrpc.HintsBlockingStub stub() {
        // RegisterDataset returns when the index is built, which streams every shard: minutes on a slow link
        return HintsGrpc.newBlockingStub(channel).withDeadlineAfter(REGISTER_DEADLINE_MINUTES, TimeUnit.MINUTES);
    }

    /**
     * Publishes the order rank {@code rank} of {@code worldSize} reads in epoch {@code epoch} of job {@code job}
     * (sample indices, as {@code le_indices}) and waits until the daemon accepted all of it.
     */
    void publish(String job, int epoch, int rank, int worldSize, int[] order) throws Exception {
        if (datasetId.isEmpty()) {
            throw new IllegalStateException("publish before register");
        }
        CompletableFuture<PublishEpochResponse> done = new CompletableFuture<>();
        StreamObserver<PublishEpochRequest> out = HintsGrpc.newStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                .publishEpoch(new StreamObserver<>() {
                    @Override
                    public void onNext(PublishEpochResponse v) {
                        done.complete(v);
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        done.complete(null);
                    }
                });
        out.onNext(PublishEpochRequest.newBuilder().setHeader(EpochHeader.newBuilder().setDatasetId(datasetId)
                .setJob(job).setEpoch(epoch).setRank(rank).setWorldSize(worldSize)).build());
        for (int from = 0; from < order.length; from += CHUNK) {
            int n = Math.min(CHUNK, order.length - from);
            ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                b.putInt(order[from + i]);
            }
            out.onNext(PublishEpochRequest.newBuilder().setIndices(IndexChunk.newBuilder()
                    .setLeIndices(ByteString.copyFrom(b.array()))).build());
        }
        out.onCompleted();
        PublishEpochResponse r = done.get(60, TimeUnit.SECONDS);
        if (r == null || r.getAccepted() != order.length) {
            throw new IllegalStateException("PublishEpoch accepted " + (r == null ? "nothing" : r.getAccepted())
                    + " of " + order.length + " samples");
        }
    }

    /** Tells the daemon that job {@code job} finished epoch {@code epoch} (EndEpoch). */
    void endEpoch(String job, int epoch) {
        if (datasetId.isEmpty()) {
            throw new IllegalStateException("endEpoch before register");
        }
        HintsGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS).endEpoch(EpochRef.newBuilder()
                .setDatasetId(datasetId).setJob(job).setEpoch(epoch).build());
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow();
        channel.awaitTermination(5, TimeUnit.SECONDS);
    }
}
