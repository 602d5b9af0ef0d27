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
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class HintServiceTest {
    private final RecordingHintSink downstream = new RecordingHintSink();
    private final HintService service = new HintService(downstream, AccessTracer.disabled(), 1000);

    private String register(long count) {
        return service.register(RegisterDatasetRequest.newBuilder().setPath("/mnt/data/train").setFormat("files")
                .setSampleCount(count).build()).id();
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
    void publish_validOrder_isHandedToTheSink() {
        String id = register(10);
        HintService.OrderBuilder b = service.new OrderBuilder();
        b.add(header(id, 3, 1, 2));
        b.add(chunk(4, 2));
        b.add(chunk(9));
        assertEquals(3, b.finish().getAccepted());
        HintSink.PublishedOrder o = downstream.get(id, "job", 3, 1).orElseThrow();
        assertArrayEquals(new int[]{4, 2, 9}, o.order().toArray());
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
        String id = register(300);
        HintService.OrderBuilder b = service.new OrderBuilder();
        b.add(header(id, 0, 0, 1));
        b.add(le(5, 0x2b, 1, 0, 0, 7, 0, 0, 0));
        b.finish();
        assertArrayEquals(new int[]{5, 299, 7}, downstream.get(id, "job", 0, 0).orElseThrow().order().toArray());
    }

    @Test
    void publish_littleEndianBytesOutOfRange_nameTheIndexAndPosition() {
        String id = register(300);
        HintService.OrderBuilder b = service.new OrderBuilder();
        b.add(header(id, 0, 0, 1));
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> b.add(le(5, 0x2c, 1, 0, 0)));
        assertTrue(e.getStatus().getDescription().startsWith("index 300 at position 1 "));
    }

    @Test
    void publish_littleEndianBytesNotAMultipleOf4_isInvalid() {
        String id = register(300);
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
        String id = register(10);
        HintService.OrderBuilder b = service.new OrderBuilder();
        b.add(header(id, 0, 0, 1));
        b.add(chunk(1, 2));
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> b.add(chunk(3, 10, 11)));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().startsWith("index 10 at position 3 "), e.getStatus().getDescription());
        assertTrue(downstream.get(id, "job", 0, 0).isEmpty(), "nothing recorded from a bad stream");
    }

    @Test
    void publish_indexAbove2pow31_isOutOfRangeNotNegative() {
        String id = register(10);
        HintService.OrderBuilder b = service.new OrderBuilder();
        b.add(header(id, 0, 0, 1));
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> b.add(chunk(-1)));
        assertTrue(e.getStatus().getDescription().startsWith("index 4294967295 at position 0"));
    }

    @Test
    void publish_chunkBeforeHeader_isInvalid() {
        register(10);
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> service.new OrderBuilder().add(chunk(1))));
    }

    @Test
    void publish_rankOutsideWorld_isInvalid() {
        String id = register(10);
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> service.new OrderBuilder().add(header(id, 0, 2, 2))));
    }

    @Test
    void publish_longerThanTheBound_isResourceExhausted() {
        String id = register(10);
        HintService.OrderBuilder b = service.new OrderBuilder();
        b.add(header(id, 0, 0, 1));
        Integer[] many = new Integer[600];
        java.util.Arrays.fill(many, 1);
        b.add(chunk(many));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, code(() -> b.add(chunk(many))));
    }

    @Test
    void publish_paths_areNotAcceptedYet() {
        String id = register(10);
        HintService.OrderBuilder b = service.new OrderBuilder();
        b.add(header(id, 0, 0, 1));
        assertEquals(Status.Code.UNIMPLEMENTED, code(() -> b.add(PublishEpochRequest.newBuilder()
                .setPaths(PathChunk.newBuilder().addPaths("a.jpg")).build())));
    }

    @Test
    void publish_again_replaces() {
        String id = register(10);
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
        assertEquals(register(10), register(10));
    }

    @Test
    void register_zeroSamples_isInvalid() {
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> register(0)));
    }
}
