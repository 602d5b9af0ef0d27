package io.prefetchd.gateway.hints;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.prefetchd.formats.Format;
import io.prefetchd.gateway.datasets.DatasetException;
import io.prefetchd.gateway.datasets.DatasetKind;
import io.prefetchd.gateway.datasets.DatasetRegistry;
import io.prefetchd.gateway.datasets.ServedDataset;
import io.prefetchd.planner.EpochOrder;
import io.prefetchd.planner.HintSink;
import io.prefetchd.planner.RecordingHintSink;
import io.prefetchd.planner.proto.EndEpochResponse;
import io.prefetchd.planner.proto.EpochHeader;
import io.prefetchd.planner.proto.EpochRef;
import io.prefetchd.planner.proto.EpochStatus;
import io.prefetchd.planner.proto.HintsGrpc;
import io.prefetchd.planner.proto.IndexChunk;
import io.prefetchd.planner.proto.PathChunk;
import io.prefetchd.planner.proto.PublishEpochRequest;
import io.prefetchd.planner.proto.PublishEpochResponse;
import io.prefetchd.planner.proto.RankOrder;
import io.prefetchd.planner.proto.RegisterDatasetRequest;
import io.prefetchd.planner.proto.RegisterDatasetResponse;
import io.prefetchd.tracer.AccessTracer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

import static java.util.Objects.requireNonNull;

/**
 * The prefetchd.v1.Hints service: registers datasets in the {@link DatasetRegistry} (which indexes them),
 * validates each published epoch order against the dataset's index and hands it to the dataset's planner
 * ({@link Planning}) with the registry's dataset id. Accepted orders are also kept in a {@link RecordingHintSink} so
 * that GetEpochStatus can say what arrived.
 *
 * <p>Registration maps the job's path to a path in the export ({@code export_path}, else the longest trailing
 * part of {@code path} that exists in the bucket), waits for the index, and checks the job's sample count
 * against it (FAILED_PRECONDITION naming both counts when they differ).
 *
 * <p>A hint is only accepted when a planner will use it: when the dataset cannot be planned, or its planner refuses
 * an order, RegisterDataset and PublishEpoch answer FAILED_PRECONDITION naming the dataset and the cause (the job
 * trains on, reading without prefetch), rather than OK for a hint that would be dropped.
 *
 * <p>Validation happens while the stream arrives: a header must come first and name a registered dataset
 * (else NOT_FOUND); every index must be below the dataset's sample count (else INVALID_ARGUMENT naming the first
 * bad index and its position); every path of a PathChunk must be a sample of a file-per-sample dataset (else
 * INVALID_ARGUMENT naming the path and its position); a stream carries index chunks or path chunks, not both;
 * the order may not exceed {@code maxOrderLength} samples (else RESOURCE_EXHAUSTED). Nothing is recorded unless
 * the whole stream is valid.
 *
 * <p>Thread-safety: the registry, the mount path table and the recording sink are concurrent; each stream's
 * buffer belongs to that stream (gRPC delivers one stream's messages serially).
 */
public final class HintService extends HintsGrpc.HintsImplBase {
    private static final Logger LOG = LoggerFactory.getLogger(HintService.class);
    static final int STATUS_HEAD = 1000;

    private final Planning planning;
    private final AccessTracer tracer;
    private final DatasetRegistry datasets;
    private final int maxOrderLength;
    private final RecordingHintSink recorded = new RecordingHintSink();
    private final EpochsInForce inForce;
    /** Per dataset id, the paths jobs registered it under (absolute paths in PathChunks are under one). */
    private final Map<String, Set<String>> mountPaths = new ConcurrentHashMap<>();

    public HintService(Planning planning, AccessTracer tracer, DatasetRegistry datasets, int maxOrderLength) {
        this(planning, tracer, datasets, maxOrderLength, new EpochsInForce());
    }

    /**
     * @param inForce told of every epoch accepted and ended, so that the read path can trace reads under the job
     *                and epoch of the hints in force
     */
    public HintService(Planning planning, AccessTracer tracer, DatasetRegistry datasets, int maxOrderLength,
                       EpochsInForce inForce) {
        this.inForce = requireNonNull(inForce, "inForce is null");
        this.planning = requireNonNull(planning, "planning is null");
        this.tracer = requireNonNull(tracer, "tracer is null");
        this.datasets = requireNonNull(datasets, "datasets is null");
        if (maxOrderLength < 1) {
            throw new IllegalArgumentException("maxOrderLength must be positive, not " + maxOrderLength);
        }
        this.maxOrderLength = maxOrderLength;
    }

    public RecordingHintSink recorded() {
        return recorded;
    }

    /**
     * Answers when the dataset's index is ready, without holding a gRPC thread meanwhile. The call's deadline
     * bounds the wait (gRPC cancels the call when it passes); the build goes on, and a later call joins it.
     */
    @Override
    public void registerDataset(RegisterDatasetRequest req, StreamObserver<RegisterDatasetResponse> out) {
        CompletableFuture<ServedDataset> f;
        try {
            f = registerAsync(req);
        } catch (StatusRuntimeException e) {
            out.onError(e);
            return;
        }
        f.whenComplete((d, e) -> {
            if (out instanceof ServerCallStreamObserver<?> call && call.isCancelled()) {
                return;   // the client gave up (deadline): the index is kept for its next call
            }
            try {
                if (e != null) {
                    out.onError(toStatus(e));
                } else {
                    out.onNext(RegisterDatasetResponse.newBuilder().setDatasetId(d.id())
                            .setSampleCount(d.sampleCount()).build());
                    out.onCompleted();
                }
            } catch (RuntimeException raced) {   // cancelled between the check and the answer
                LOG.debug("register answer not sent: {}", raced.toString());
            }
        });
    }

    /** Registers and waits (tests). */
    ServedDataset register(RegisterDatasetRequest req) {
        try {
            return registerAsync(req).join();
        } catch (CompletionException e) {
            throw toStatus(e);
        }
    }

    CompletableFuture<ServedDataset> registerAsync(RegisterDatasetRequest req) {
        String path = req.getPath().strip();
        if (path.isEmpty()) {
            throw invalid("path is required");
        }
        DatasetKind kind = DatasetKind.byName(req.getFormat()).orElseThrow(() -> invalid("format '"
                + req.getFormat() + "' is not one of " + DatasetKind.NAMES));
        long expected = req.getSampleCount();
        try {
            String exportPath = !req.getExportPath().isBlank() ? req.getExportPath()
                    : datasets.exportPathOf(path).orElseThrow(() -> Status.NOT_FOUND.withDescription("dataset path '"
                    + path + "' is not in the gateway's export (no trailing part of it exists there): pass "
                    + "export_path, the dataset's path inside the export").asRuntimeException());
            String mount = mountKey(path);
            return datasets.registerAsync(exportPath, kind.format(), kind.layout(), req.getProjectedColumnsList())
                    .thenApply(d -> {
                        if (expected != 0 && expected != d.sampleCount()) {
                            throw Status.FAILED_PRECONDITION.withDescription("the job's dataset '" + path + "' has "
                                    + expected + " samples but the gateway's index of " + kind.cliName() + " '"
                                    + d.exportPath() + "' has " + d.sampleCount()).asRuntimeException();
                        }
                        mountPaths.computeIfAbsent(d.id(), k -> ConcurrentHashMap.newKeySet()).add(mount);
                        return d;
                    })
                    .thenCompose(d -> planning.whenPlanned(d.id()).handle((ok, e) -> {
                        if (e != null) {
                            throw notPlanned(d, e);
                        }
                        return d;
                    }));
        } catch (DatasetException e) {
            throw toStatus(e);
        }
    }

    /** FAILED_PRECONDITION naming the dataset and why its planner failed. */
    static StatusRuntimeException notPlanned(ServedDataset d, Throwable failure) {
        Throwable e = failure;
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof StatusRuntimeException s) {
            return s;
        }
        return Status.FAILED_PRECONDITION.withDescription("dataset " + d.id() + " (" + d.spec().format().cliName()
                + " '" + d.exportPath() + "') is served without prefetch: " + e.getMessage()).asRuntimeException();
    }

    private static String mountKey(String path) {
        String p = path;
        while (p.length() > 1 && p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }

    /** The gRPC status of a registration failure. */
    static StatusRuntimeException toStatus(Throwable t) {
        Throwable e = t;
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof StatusRuntimeException s) {
            return s;
        }
        DatasetException d = DatasetRegistry.unwrap(e);
        Status status = switch (d.reason()) {
            case NOT_FOUND -> Status.NOT_FOUND;
            case EMPTY, UNREADABLE -> Status.FAILED_PRECONDITION;
            case INVALID -> Status.INVALID_ARGUMENT;
            case UNAVAILABLE -> Status.UNAVAILABLE;
        };
        return status.withDescription(d.getMessage()).asRuntimeException();
    }

    ServedDataset dataset(String id) {
        return datasets.byId(id).orElseThrow(() -> Status.NOT_FOUND.withDescription("unknown dataset_id '" + id
                + "': call RegisterDataset first").asRuntimeException());
    }

    /**
     * The access tracer's name of a dataset, for hinted and unhinted reads alike: its path in the export
     * ({@value #ROOT_TRACE_NAME} for a dataset at the export root).
     */
    public static String tracerDataset(ServedDataset d) {
        return d.exportPath().isEmpty() ? ROOT_TRACE_NAME : d.exportPath();
    }

    /** The trace name of a dataset at the export root. */
    public static final String ROOT_TRACE_NAME = "_root";

    @Override
    public StreamObserver<PublishEpochRequest> publishEpoch(StreamObserver<PublishEpochResponse> out) {
        OrderBuilder b = new OrderBuilder();
        return new StreamObserver<>() {
            private boolean failed;

            @Override
            public void onNext(PublishEpochRequest msg) {
                if (failed) {
                    return;
                }
                try {
                    b.add(msg);
                } catch (StatusRuntimeException e) {
                    failed = true;
                    out.onError(e);
                }
            }

            @Override
            public void onError(Throwable t) {
                failed = true;   // the client cancelled: nothing is recorded
            }

            @Override
            public void onCompleted() {
                if (failed) {
                    return;
                }
                CompletableFuture<PublishEpochResponse> f;
                try {
                    f = b.finishAsync();
                } catch (StatusRuntimeException e) {
                    out.onError(e);
                    return;
                }
                f.whenComplete((r, e) -> {
                    if (e != null) {
                        out.onError(toStatus(e));
                    } else {
                        out.onNext(r);
                        out.onCompleted();
                    }
                });
            }
        };
    }

    /**
     * Accumulates and checks one PublishEpoch stream. Not thread-safe: one per stream. {@code header} and
     * {@code dataset} are set by the stream's first message, which {@code chunk} requires before any other.
     */
    @SuppressWarnings("NullAway.Init")
    final class OrderBuilder {
        private EpochHeader header;
        private ServedDataset dataset;
        private PublishEpochRequest.@Nullable BodyCase kind;
        private int[] indices = new int[1024];
        private int size;

        void add(PublishEpochRequest msg) {
            switch (msg.getBodyCase()) {
                case HEADER -> header(msg.getHeader());
                case INDICES -> {
                    chunk(PublishEpochRequest.BodyCase.INDICES);
                    indices(msg.getIndices());
                }
                case PATHS -> {
                    chunk(PublishEpochRequest.BodyCase.PATHS);
                    paths(msg.getPaths());
                }
                default -> throw invalid("empty PublishEpochRequest");
            }
        }

        private void chunk(PublishEpochRequest.BodyCase c) {
            if (header == null) {
                throw invalid("the first message of PublishEpoch must be the header");
            }
            if (kind != null && kind != c) {
                throw invalid("a PublishEpoch stream carries index chunks or path chunks, not both: this one "
                        + "started with " + (kind == PublishEpochRequest.BodyCase.INDICES ? "indices" : "paths"));
            }
            kind = c;
        }

        private void header(EpochHeader h) {
            if (header != null) {
                throw invalid("a second header in one PublishEpoch stream");
            }
            if (h.getJob().isBlank()) {
                throw invalid("job is required");
            }
            int world = h.getWorldSize() == 0 ? 1 : h.getWorldSize();
            if (world < 0 || h.getRank() < 0 || h.getRank() >= world) {
                throw invalid("rank " + Integer.toUnsignedString(h.getRank()) + " is not in a world of "
                        + Integer.toUnsignedString(h.getWorldSize()));
            }
            if (h.getEpoch() < 0) {
                throw invalid("epoch " + Integer.toUnsignedString(h.getEpoch()) + " is too large");
            }
            dataset = dataset(h.getDatasetId());
            header = h;
        }

        private void indices(IndexChunk chunk) {
            int n = chunk.getIndicesCount();
            reserve(n);
            for (int i = 0; i < n; i++) {
                put(chunk.getIndices(i));
            }
            com.google.protobuf.ByteString le = chunk.getLeIndices();
            if (le.size() % 4 != 0) {
                throw invalid("le_indices has " + le.size() + " bytes, not a multiple of 4");
            }
            reserve(le.size() / 4);
            java.nio.ByteBuffer buf = le.asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN);
            while (buf.remaining() >= 4) {
                put(buf.getInt());
            }
        }

        private void paths(PathChunk chunk) {
            if (dataset.spec().format() != Format.FILES) {
                throw invalid("path orders are for file-per-sample datasets (imagefolder, files); dataset "
                        + dataset.id() + " is " + dataset.spec().format().cliName() + " '" + dataset.exportPath()
                        + "': publish sample indices");
            }
            reserve(chunk.getPathsCount());
            for (String p : chunk.getPathsList()) {
                OptionalLong sample = sampleOf(p);
                if (sample.isEmpty()) {
                    throw invalid("path '" + p + "' at position " + size + " is not a sample of dataset "
                            + dataset.id() + " ('" + dataset.exportPath() + "' in the export"
                            + mountHint() + ")");
                }
                indices[size++] = (int) sample.getAsLong();
            }
        }

        private OptionalLong sampleOf(String path) {
            if (!path.startsWith("/")) {
                return datasets.sampleOf(dataset.id(), path);
            }
            for (String mount : mountPaths.getOrDefault(dataset.id(), Set.of())) {
                String base = mount.endsWith("/") ? mount : mount + "/";
                if (path.startsWith(base)) {
                    OptionalLong s = datasets.sampleOf(dataset.id(), path.substring(base.length()));
                    if (s.isPresent()) {
                        return s;
                    }
                }
            }
            return OptionalLong.empty();
        }

        private String mountHint() {
            Set<String> mounts = mountPaths.getOrDefault(dataset.id(), Set.of());
            return mounts.isEmpty() ? "" : ", registered as " + String.join(", ", mounts);
        }

        private void reserve(int n) {
            if ((long) size + n > maxOrderLength) {
                throw Status.RESOURCE_EXHAUSTED.withDescription("order longer than " + maxOrderLength
                        + " samples (prefetchd.grpc.max-order-length)").asRuntimeException();
            }
            if (size + n > indices.length) {
                indices = Arrays.copyOf(indices, Math.max(size + n, indices.length * 2));
            }
        }

        private void put(int v) {
            if (Integer.toUnsignedLong(v) >= dataset.sampleCount()) {
                throw invalid("index " + Integer.toUnsignedString(v) + " at position " + size
                        + " is out of range: dataset " + dataset.id() + " has " + dataset.sampleCount() + " samples");
            }
            indices[size++] = v;
        }

        /** Finishes and waits (tests). */
        PublishEpochResponse finish() {
            try {
                return finishAsync().join();
            } catch (CompletionException e) {
                throw toStatus(e);
            }
        }

        /**
         * Hands the order to the dataset's planner and, once the planner took it, records it; completes with the
         * answer, or exceptionally (FAILED_PRECONDITION) when the dataset cannot be planned.
         */
        CompletableFuture<PublishEpochResponse> finishAsync() {
            if (header == null) {
                throw invalid("empty PublishEpoch stream: no header");
            }
            int world = header.getWorldSize() == 0 ? 1 : header.getWorldSize();
            var order = new HintSink.PublishedOrder(dataset.id(), header.getJob(), header.getRank(), world,
                    EpochOrder.of(header.getEpoch(), Arrays.copyOf(indices, size)));
            ServedDataset d = dataset;
            EpochHeader h = header;
            int n = size;
            return planning.whenPlanned(d.id()).thenCompose(ok -> planning.publish(order)).handle((ok, e) -> {
                if (e != null) {
                    throw notPlanned(d, e);
                }
                boolean replaced = recorded.get(d.id(), h.getJob(), h.getEpoch(), h.getRank()).isPresent();
                recorded.accept(order);
                tracer.beginEpoch(tracerDataset(d), h.getJob(), h.getEpoch());
                inForce.begin(d.id(), h.getJob(), h.getEpoch(), h.getRank(), world);
                LOG.info("accepted epoch {} of job {} rank {}/{} on {} ({}): {} samples{}", h.getEpoch(),
                        h.getJob(), h.getRank(), world, d.id(), d.exportPath(), n, replaced ? " (replaced)" : "");
                return PublishEpochResponse.newBuilder().setAccepted(n).setReplaced(replaced).build();
            });
        }
    }

    @Override
    public void getEpochStatus(EpochRef ref, StreamObserver<EpochStatus> out) {
        CompletableFuture<EpochStatus> f;
        try {
            f = statusAsync(ref);
        } catch (StatusRuntimeException e) {
            out.onError(e);
            return;
        }
        f.whenComplete((s, e) -> {
            if (e != null) {
                out.onError(Status.INTERNAL.withDescription("epoch status: " + e.getMessage()).asRuntimeException());
            } else {
                out.onNext(s);
                out.onCompleted();
            }
        });
    }

    /** The status and waits (tests). */
    EpochStatus status(EpochRef ref) {
        return statusAsync(ref).join();
    }

    /** What arrived for the epoch, with the planner's count of its samples fetched and read. */
    CompletableFuture<EpochStatus> statusAsync(EpochRef ref) {
        EpochStatus received = received(ref);
        return planning.progress(ref.getDatasetId(), ref.getJob(), ref.getEpoch())
                .thenApply(p -> received.toBuilder().setFetched(p.fetched()).setConsumed(p.consumed()).build());
    }

    private EpochStatus received(EpochRef ref) {
        ServedDataset d = dataset(ref.getDatasetId());
        EpochStatus.Builder s = EpochStatus.newBuilder()
                .setEnded(recorded.ended(d.id(), ref.getJob(), ref.getEpoch()));
        long planned = 0;
        for (HintSink.PublishedOrder o : recorded.epoch(d.id(), ref.getJob(), ref.getEpoch())) {
            EpochOrder order = o.order();
            planned += order.size();
            RankOrder.Builder r = RankOrder.newBuilder().setRank(o.rank()).setWorldSize(o.worldSize())
                    .setLength(order.size()).setFnv1A64(fnv1a64(order));
            for (int i = 0; i < Math.min(STATUS_HEAD, order.size()); i++) {
                r.addHead(order.sampleAt(i));
            }
            s.addRanks(r);
        }
        return s.setPlanned(planned).build();
    }

    /** FNV-1a 64 over the order's indices as little-endian uint32 (the digest documented in hints.proto). */
    static long fnv1a64(EpochOrder order) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < order.size(); i++) {
            int v = order.sampleAt(i);
            for (int b = 0; b < 4; b++) {
                h ^= (v >>> (8 * b)) & 0xff;
                h *= 0x100000001b3L;
            }
        }
        return h;
    }

    @Override
    public void endEpoch(EpochRef ref, StreamObserver<EndEpochResponse> out) {
        try {
            ServedDataset d = dataset(ref.getDatasetId());
            recorded.endEpoch(d.id(), ref.getJob(), ref.getEpoch());
            planning.endEpoch(d.id(), ref.getJob(), ref.getEpoch());
            inForce.end(d.id(), ref.getJob());
            tracer.endEpoch(tracerDataset(d), ref.getJob());
            out.onNext(EndEpochResponse.getDefaultInstance());
            out.onCompleted();
        } catch (StatusRuntimeException e) {
            out.onError(e);
        }
    }

    private static StatusRuntimeException invalid(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }
}
