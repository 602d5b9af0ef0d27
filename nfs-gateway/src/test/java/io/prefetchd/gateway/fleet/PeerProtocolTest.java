package io.prefetchd.gateway.fleet;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.prefetchd.gateway.cache.ObjectVersion;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PeerProtocolTest {

    @Test
    void request_roundTrips() throws IOException {
        var r = new PeerProtocol.ReadRequest(new ObjectVersion("train/shard-00017.tar", "9b2cf535f27731c9", 1L << 33),
                (1L << 32) + 5, 1 << 20);
        var m = new PeerProtocol.RequestMarshaller();

        assertEquals(r, m.parse(new ByteArrayInputStream(m.stream(r).readAllBytes())));
    }

    @Test
    void cachedOnlyRequest_roundTrips_asVersion2() throws IOException {
        var r = new PeerProtocol.ReadRequest(new ObjectVersion("train/shard-00017.tar", "9b2cf535f27731c9", 1 << 20),
                1 << 17, 1 << 17, true);
        var m = new PeerProtocol.RequestMarshaller();
        byte[] bytes = m.stream(r).readAllBytes();

        assertEquals(2, bytes[0]);
        assertEquals(r, m.parse(new ByteArrayInputStream(bytes)));
    }

    @Test
    void plainRequest_isVersion1_whichEveryMemberReads() throws IOException {
        var r = new PeerProtocol.ReadRequest(new ObjectVersion("k", "e", 10), 0, 10);

        assertEquals(1, new PeerProtocol.RequestMarshaller().stream(r).readAllBytes()[0]);
    }

    @Test
    void request_withUnknownFlags_isInvalidArgument() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> new PeerProtocol.RequestMarshaller().parse(new ByteArrayInputStream(new byte[] {2, 4, 0, 0})));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    }

    @Test
    void reply_roundTrips() throws IOException {
        var r = new PeerProtocol.ReadReply(new byte[] {1, 2, 3, -1}, 7);
        var m = new PeerProtocol.ReplyMarshaller();

        PeerProtocol.ReadReply back = m.parse(new ByteArrayInputStream(m.stream(r).readAllBytes()));

        assertArrayEquals(r.data(), back.data());
        assertEquals(7, back.missedBlocks());
    }

    @Test
    void request_ofAnotherVersion_isInvalidArgument() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> new PeerProtocol.RequestMarshaller().parse(new ByteArrayInputStream(new byte[] {3, 0, 0})));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    }

    @Test
    void request_truncated_isInvalidArgument() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> new PeerProtocol.RequestMarshaller().parse(new ByteArrayInputStream(new byte[] {1, 0, 5, 'a'})));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    }
}
