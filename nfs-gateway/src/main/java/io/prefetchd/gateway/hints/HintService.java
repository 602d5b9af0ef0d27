package io.prefetchd.gateway.hints;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.prefetchd.planner.EpochOrder;
import io.prefetchd.planner.HintSink;
import io.prefetchd.planner.RecordingHintSink;
import io.prefetchd.planner.proto.EndEpochResponse;
import io.prefetchd.planner.proto.EpochHeader;
import io.prefetchd.planner.proto.EpochRef;
import io.prefetchd.planner.proto.EpochStatus;
import io.prefetchd.planner.proto.HintsGrpc;
import io.prefetchd.planner.proto.IndexChunk;
import io.prefetchd.planner.proto.PublishEpochRequest;
import io.prefetchd.planner.proto.PublishEpochResponse;
import io.prefetchd.planner.proto.RankOrder;
import io.prefetchd.planner.proto.RegisterDatasetRequest;
import io.prefetchd.planner.proto.RegisterDatasetResponse;
import io.prefetchd.tracer.AccessTracer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static java.util.Objects.requireNonNull;

/**
 * The prefetchd.v1.Hints service: registers datasets, validates each published epoch order and hands it to a
 * {@link HintSink} (the planner, once the executor drives one). Accepted orders are also kept in a
 * {@link RecordingHintSink} so that GetEpochStatus can say what arrived.
 *
 * <p>Validation happens while the stream arrives: a header must come first and name a registered dataset
 * (else NOT_FOUND); every index must be below the dataset's sample count (else INVALID_ARGUMENT naming the first
 * bad index and its position); the order may not exceed {@code maxOrderLength} samples (else
 * RESOURCE_EXHAUSTED). Nothing is recorded unless the whole stream is valid.
 *
 * <p>Thread-safety: the dataset table and the recording sink are concurrent maps; each stream's buffer belongs
 * to that stream (gRPC delivers one stream's messages serially).
 */
public final class HintService extends HintsGrpc.HintsImplBase {
    private static final Logger LOG = LoggerFactory.getLogger(HintService.class);
    static final int STATUS_HEAD = 1000;

    /** A registered dataset. */
    record Dataset(String id, String path, String format, List<String> columns, long sampleCount) {
    }

    private final HintSink downstream;
    private final AccessTracer tracer;
    private final int maxOrderLength;
    private final RecordingHintSink recorded = new RecordingHintSink();
    private final Map<List<Object>, Dataset> byKey = new ConcurrentHashMap<>();
    private final Map<String, Dataset> byId = new ConcurrentHashMap<>();
    private final AtomicInteger nextId = new AtomicInteger(1);

    public HintService(HintSink downstream, AccessTracer tracer, int maxOrderLength) {
        this.downstream = requireNonNull(downstream, "downstream is null");
        this.tracer = requireNonNull(tracer, "tracer is null");
        if (maxOrderLength < 1) {
            throw new IllegalArgumentException("maxOrderLength must be positive, not " + maxOrderLength);
        }
        this.maxOrderLength = maxOrderLength;
    }

    public RecordingHintSink recorded() {
        return recorded;
    }

    @Override
    public void registerDataset(RegisterDatasetRequest req, StreamObserver<RegisterDatasetResponse> out) {
        try {
            Dataset d = register(req);
            out.onNext(RegisterDatasetResponse.newBuilder().setDatasetId(d.id()).setSampleCount(d.sampleCount())
                    .build());
            out.onCompleted();
        } catch (StatusRuntimeException e) {
            out.onError(e);
        }
    }

    Dataset register(RegisterDatasetRequest req) {
        if (req.getPath().isBlank()) {
            throw invalid("path is required");
        }
        if (req.getFormat().isBlank()) {
            throw invalid("format is required");
        }
        if (req.getSampleCount() < 1 || req.getSampleCount() > Integer.MAX_VALUE) {
            throw invalid("sample_count must be between 1 and " + Integer.MAX_VALUE + ", not "
                    + req.getSampleCount());
        }
        List<Object> key = List.of(req.getPath(), req.getFormat(), List.copyOf(req.getProjectedColumnsList()));
        Dataset d = byKey.compute(key, (k, old) -> new Dataset(old == null ? "ds-" + nextId.getAndIncrement()
                : old.id(), req.getPath(), req.getFormat(), List.copyOf(req.getProjectedColumnsList()),
                req.getSampleCount()));
        byId.put(d.id(), d);
        return d;
    }

    Dataset dataset(String id) {
        Dataset d = byId.get(id);
        if (d == null) {
            throw Status.NOT_FOUND.withDescription("unknown dataset_id '" + id + "': call RegisterDataset first")
                    .asRuntimeException();
        }
        return d;
    }

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
                try {
                    out.onNext(b.finish());
                    out.onCompleted();
                } catch (StatusRuntimeException e) {
                    out.onError(e);
                }
            }
        };
    }

    /** Accumulates and checks one PublishEpoch stream. Not thread-safe: one per stream. */
    final class OrderBuilder {
        private EpochHeader header;
        private Dataset dataset;
        private int[] indices = new int[1024];
        private int size;

        void add(PublishEpochRequest msg) {
            switch (msg.getBodyCase()) {
                case HEADER -> header(msg.getHeader());
                case INDICES -> indices(msg.getIndices());
                case PATHS -> throw Status.UNIMPLEMENTED
                        .withDescription("path orders are not accepted yet: publish sample indices").asRuntimeException();
                default -> throw invalid("empty PublishEpochRequest");
            }
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
            if (header == null) {
                throw invalid("the first message of PublishEpoch must be the header");
            }
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

        PublishEpochResponse finish() {
            if (header == null) {
                throw invalid("empty PublishEpoch stream: no header");
            }
            int world = header.getWorldSize() == 0 ? 1 : header.getWorldSize();
            var order = new HintSink.PublishedOrder(dataset.id(), header.getJob(), header.getRank(), world,
                    EpochOrder.of(header.getEpoch(), Arrays.copyOf(indices, size)));
            boolean replaced = recorded.get(dataset.id(), header.getJob(), header.getEpoch(), header.getRank())
                    .isPresent();
            recorded.accept(order);
            downstream.accept(order);
            tracer.beginEpoch(dataset.path(), header.getJob(), header.getEpoch());
            LOG.info("accepted epoch {} of job {} rank {}/{} on {}: {} samples{}", header.getEpoch(), header.getJob(),
                    header.getRank(), world, dataset.path(), size, replaced ? " (replaced)" : "");
            return PublishEpochResponse.newBuilder().setAccepted(size).setReplaced(replaced).build();
        }
    }

    @Override
    public void getEpochStatus(EpochRef ref, StreamObserver<EpochStatus> out) {
        try {
            out.onNext(status(ref));
            out.onCompleted();
        } catch (StatusRuntimeException e) {
            out.onError(e);
        }
    }

    EpochStatus status(EpochRef ref) {
        Dataset d = dataset(ref.getDatasetId());
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
            Dataset d = dataset(ref.getDatasetId());
            recorded.endEpoch(d.id(), ref.getJob(), ref.getEpoch());
            downstream.endEpoch(d.id(), ref.getJob(), ref.getEpoch());
            tracer.endEpoch(d.path(), ref.getJob());
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
