package io.prefetchd.gateway.hints;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.prefetchd.planner.proto.EpochHeader;
import io.prefetchd.planner.proto.EpochRef;
import io.prefetchd.planner.proto.IndexChunk;
import io.prefetchd.planner.proto.PathChunk;
import io.prefetchd.planner.proto.PublishEpochRequest;
import io.prefetchd.planner.proto.RegisterDatasetRequest;
import io.prefetchd.planner.HintSink;
import io.prefetchd.planner.RecordingHintSink;
import io.prefetchd.tracer.AccessTracer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.datasets.DatasetRegistry;
import io.prefetchd.gateway.datasets.DemoBucket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The service over a real registry: an in-memory bucket with the demo dataset (webdataset: 100 samples). */
class HintServiceTest {
    private static final String IMAGES = "/mnt/data/imagefolder/train";
    @TempDir
    static Path state;
    private static DatasetRegistry datasets;

    private final RecordingHintSink downstream = new RecordingHintSink();
    private final HintService service = new HintService(Planning.forwardingTo(downstream), AccessTracer.disabled(), datasets, 1000);

    @BeforeAll
    static void open() {
        datasets = new DatasetRegistry(DemoBucket.create(""), "", state.resolve("indexes"), 2,
                new SimpleMeterRegistry(), Clock.systemUTC());
    }

    @AfterAll
    static void close() {
        datasets.close();
    }

    private static RegisterDatasetRequest.Builder request(String path, String format, long count) {
        return RegisterDatasetRequest.newBuilder().setPath(path).setFormat(format).setSampleCount(count);
    }

    /** The demo's webdataset (100 samples). */
    private String register(long count) {
        return service.register(request("/mnt/data/webdataset", "webdataset", count).build()).id();
    }

    private String registerImages() {
        return service.register(request(IMAGES, "imagefolder", 200).build()).id();
    }

    private static PublishEpochRequest paths(String... paths) {
        return PublishEpochRequest.newBuilder().setPaths(PathChunk.newBuilder().addAllPaths(List.of(paths))).build();
    }

    private static PublishEpochRequest header(String id, int epoch, int rank, int world) {
        return PublishEpochRequest.newBuilder().setHeader(EpochHeader.newBuilder().setDatasetId(id).setJob("job")
                .setEpoch(epoch).setRank(rank).setWorldSize(world)).build();
    }

    private static PublishEpochRequest chunk(Integer... indices) {
        return PublishEpochRequest.newBuilder().setIndices(IndexChunk.newBuilder().addAllIndices(List.of(indices)))
                .build();
    }

    private static Status.Code code(Runnable r) {
        return assertThrows(StatusRuntimeException.class, r::run).getStatus().getCode();
    }

    @Test
    void publishAndEndEpoch_putTheJobInForce_andTraceEpochsUnderTheExportPath() {
        List<String> traced = new java.util.ArrayList<>();
        AccessTracer tracer = new AccessTracer() {
            private final AccessTracer off = AccessTracer.disabled();

            @Override
            public void record(String dataset, String job, int rank, long clientId, String clientAddress,
                               String objectKey, String etag, long fileId, long sample, long offset, int length,
                               io.prefetchd.tracer.Outcome outcome, long s3WaitNanos) {
            }

            @Override
            public void beginEpoch(String dataset, String job, int epoch) {
                traced.add("begin " + dataset + " " + job + " " + epoch);
            }

            @Override
            public void endEpoch(String dataset, String job) {
                traced.add("end " + dataset + " " + job);
            }

            @Override
            public void datasetSize(String dataset, long bytes) {
            }

            @Override
            public java.util.concurrent.CompletableFuture<Void> flush() {
                return off.flush();
            }

            @Override
            public io.prefetchd.tracer.TracerStats stats() {
                return off.stats();
            }

            @Override
            public void close() {
            }
        };
        EpochsInForce inForce = new EpochsInForce();
        HintService traced1 = new HintService(Planning.forwardingTo(downstream), tracer, datasets, 1000, inForce);
        String id = traced1.register(request(IMAGES, "imagefolder", 200).build()).id();
        HintService.OrderBuilder b = traced1.new OrderBuilder();
        b.add(header(id, 0, 0, 1));
        b.add(chunk(1, 0));
        b.finish();
        assertEquals("job", inForce.jobOf(id));
        traced1.endEpoch(EpochRef.newBuilder().setDatasetId(id).setJob("job").setEpoch(0).build(),
                new io.grpc.stub.StreamObserver<>() {
                    @Override
                    public void onNext(io.prefetchd.planner.proto.EndEpochResponse value) {
                    }

                    @Override
                    public void onError(Throwable t) {
                        fail(t);
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        assertNull(inForce.jobOf(id));
        assertEquals(List.of("begin imagefolder/train job 0", "end imagefolder/train job"), traced);
    }

    @Test
    void publish_validOrder_isHandedToTheSink() {
        String id = register(100);
        HintService.OrderBuilder b = service.new OrderBuilder();
        b.add(header(id, 3, 1, 2));
        b.add(chunk(4, 2));
        b.add(chunk(99));
        assertEquals(3, b.finish().getAccepted());
        HintSink.PublishedOrder o = downstream.get(id, "job", 3, 1).orElseThrow();
        assertArrayEquals(new int[]{4, 2, 99}, o.order().toArray());
        assertEquals(2, o.worldSize());
    }

    private static PublishEpochRequest le(int plain, int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) bytes[i];
        }
        return PublishEpochRequest.newBuilder().setIndices(IndexChunk.newBuilder().addIndices(plain)
                .setLeIndices(com.google.protobuf.ByteString.copyFrom(b))).build();
    }

    @Test
    void publish_littleEndianBytes_followThePlainIndices() {
        String id = register(100);
        HintService.OrderBuilder b = service.new OrderBuilder();
        b.add(header(id, 0, 0, 1));
        b.add(le(5, 0x63, 0, 0, 0, 7, 0, 0, 0));
        b.finish();
        assertArrayEquals(new int[]{5, 99, 7}, downstream.get(id, "job", 0, 0).orElseThrow().order().toArray());
    }

    @Test
    void publish_littleEndianBytesOutOfRange_nameTheIndexAndPosition() {
        String id = register(100);
        HintService.OrderBuilder b = service.new OrderBuilder();
        b.add(header(id, 0, 0, 1));
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> b.add(le(5, 0x64, 0, 0, 0)));
        assertTrue(e.getStatus().getDescription().startsWith("index 100 at position 1 "));
    }

    @Test
    void publish_littleEndianBytesNotAMultipleOf4_isInvalid() {
        String id = register(100);
        HintService.OrderBuilder b = service.new OrderBuilder();
        b.add(header(id, 0, 0, 1));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> b.add(le(5, 1, 0, 0))));
    }

    @Test
    void publish_unknownDataset_isNotFound() {
        assertEquals(Status.Code.NOT_FOUND, code(() -> service.new OrderBuilder().add(header("nope", 0, 0, 1))));
    }

    @Test
    void publish_indexOutOfRange_namesTheFirstBadIndex() {
        String id = register(100);
        HintService.OrderBuilder b = service.new OrderBuilder();
        b.add(header(id, 0, 0, 1));
        b.add(chunk(1, 2));
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> b.add(chunk(3, 100, 101)));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().startsWith("index 100 at position 3 "), e.getStatus().getDescription());
        assertTrue(downstream.get(id, "job", 0, 0).isEmpty(), "nothing recorded from a bad stream");
    }

    @Test
    void publish_indexAbove2pow31_isOutOfRangeNotNegative() {
        String id = register(100);
        HintService.OrderBuilder b = service.new OrderBuilder();
        b.add(header(id, 0, 0, 1));
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> b.add(chunk(-1)));
        assertTrue(e.getStatus().getDescription().startsWith("index 4294967295 at position 0"));
    }

    @Test
    void publish_chunkBeforeHeader_isInvalid() {
        register(100);
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> service.new OrderBuilder().add(chunk(1))));
    }

    @Test
    void publish_rankOutsideWorld_isInvalid() {
        String id = register(100);
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> service.new OrderBuilder().add(header(id, 0, 2, 2))));
    }

    @Test
    void publish_longerThanTheBound_isResourceExhausted() {
        String id = register(100);
        HintService.OrderBuilder b = service.new OrderBuilder();
        b.add(header(id, 0, 0, 1));
        Integer[] many = new Integer[600];
        java.util.Arrays.fill(many, 1);
        b.add(chunk(many));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, code(() -> b.add(chunk(many))));
    }

    @Test
    void publish_relativeAndMountedPaths_becomeTheIndexSamples() {
        String id = registerImages();
        HintService.OrderBuilder b = service.new OrderBuilder();
        b.add(header(id, 0, 0, 1));
        b.add(paths("dog/0000.jpg", IMAGES + "/cat/0001.jpg"));
        b.add(paths(IMAGES + "/ship/0049.jpg"));
        assertEquals(3, b.finish().getAccepted());
        assertArrayEquals(new int[]{50, 1, 199}, downstream.get(id, "job", 0, 0).orElseThrow().order().toArray());
    }

    @Test
    void publish_unknownPath_isInvalidNamingItAndItsPosition() {
        String id = registerImages();
        HintService.OrderBuilder b = service.new OrderBuilder();
        b.add(header(id, 0, 0, 1));
        b.add(paths("cat/0000.jpg"));
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> b.add(paths("cat/0001.jpg", "/elsewhere/cat/0002.jpg")));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().startsWith("path '/elsewhere/cat/0002.jpg' at position 2 "),
                e.getStatus().getDescription());
    }

    @Test
    void publish_pathsOnAWebDataset_areInvalid() {
        String id = register(100);
        HintService.OrderBuilder b = service.new OrderBuilder();
        b.add(header(id, 0, 0, 1));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> b.add(paths("sample000000"))));
    }

    @Test
    void publish_indicesThenPaths_isRefused() {
        String id = registerImages();
        HintService.OrderBuilder b = service.new OrderBuilder();
        b.add(header(id, 0, 0, 1));
        b.add(chunk(1));
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> b.add(paths("cat/0000.jpg")));
        assertTrue(e.getStatus().getDescription().contains("index chunks or path chunks, not both"));
    }

    @Test
    void publish_again_replaces() {
        String id = register(100);
        for (int[] order : new int[][]{{1, 2, 3}, {7}}) {
            HintService.OrderBuilder b = service.new OrderBuilder();
            b.add(header(id, 0, 0, 1));
            for (int i : order) {
                b.add(chunk(i));
            }
            b.finish();
        }
        var status = service.status(EpochRef.newBuilder().setDatasetId(id).setJob("job").setEpoch(0).build());
        assertEquals(1, status.getPlanned());
        assertEquals(List.of(7), status.getRanks(0).getHeadList());
    }

    @Test
    void register_sameDatasetTwice_returnsTheSameId() {
        assertEquals(register(100), register(100));
    }

    @Test
    void register_zeroSamples_takesTheGatewaysCount() {
        assertEquals(100, service.register(request("/mnt/data/webdataset", "webdataset", 0).build()).sampleCount());
    }

    @Test
    void register_countMismatch_isFailedPreconditionNamingBothCounts() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> register(101));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("has 101 samples"), e.getStatus().getDescription());
        assertTrue(e.getStatus().getDescription().endsWith("has 100"), e.getStatus().getDescription());
    }

    @Test
    void register_exportPath_winsOverThePath() {
        var d = service.register(request("/anything/else", "imagefolder", 200).setExportPath("imagefolder/train")
                .build());
        assertEquals("imagefolder/train", d.exportPath());
        assertEquals(registerImages(), d.id());
    }

    @Test
    void register_pathNotInTheExport_isNotFoundNamingIt() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> service.register(request("/mnt/data/nowhere", "files", 0).build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("'/mnt/data/nowhere'"), e.getStatus().getDescription());
    }

    @Test
    void register_unknownFormat_isInvalidNamingIt() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> service.register(request(IMAGES, "tfrecord", 0).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().startsWith("format 'tfrecord' is not one of"));
    }

    /** Planners that cannot plan any dataset, and report a fixed progress. */
    private static final class BrokenPlanning implements Planning {
        @Override
        public java.util.concurrent.CompletableFuture<Void> whenPlanned(String datasetId) {
            return java.util.concurrent.CompletableFuture.failedFuture(
                    new PlanningException("its planner could not be built: boom", null));
        }

        @Override
        public java.util.concurrent.CompletableFuture<Void> publish(HintSink.PublishedOrder order) {
            return java.util.concurrent.CompletableFuture.failedFuture(new PlanningException("refused", null));
        }

        @Override
        public void endEpoch(String datasetId, String job, int epoch) {
        }

        @Override
        public java.util.concurrent.CompletableFuture<Progress> progress(String datasetId, String job, int epoch) {
            return java.util.concurrent.CompletableFuture.completedFuture(new Progress(40, 30));
        }
    }

    @Test
    void register_ofADatasetThatCannotBePlanned_isFailedPreconditionNamingItAndTheCause() {
        HintService broken = new HintService(new BrokenPlanning(), AccessTracer.disabled(), datasets, 1000);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> broken.register(request("/mnt/data/webdataset", "webdataset", 0).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        String id = register(0);
        assertEquals("dataset " + id + " (webdataset 'webdataset') is served without prefetch: its planner could not "
                + "be built: boom", e.getStatus().getDescription());
    }

    @Test
    void publish_thatThePlannerRefuses_isNotRecorded() {
        HintService broken = new HintService(new BrokenPlanning(), AccessTracer.disabled(), datasets, 1000);
        String id = register(0);
        HintService.OrderBuilder b = broken.new OrderBuilder();
        b.add(header(id, 0, 0, 1));
        b.add(chunk(1, 2));
        assertEquals(Status.Code.FAILED_PRECONDITION, code(b::finish));
        assertEquals(0, broken.status(EpochRef.newBuilder().setDatasetId(id).setJob("job").build()).getPlanned());
    }

    @Test
    void status_carriesThePlannersFetchedAndConsumedCounts() {
        HintService withProgress = new HintService(new BrokenPlanning(), AccessTracer.disabled(), datasets, 1000);
        var status = withProgress.status(EpochRef.newBuilder().setDatasetId(register(0)).setJob("job").build());
        assertEquals(40, status.getFetched());
        assertEquals(30, status.getConsumed());
    }
}
