package io.prefetchd.gateway.fleet;

import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.BearerToken;
import io.prefetchd.gateway.cache.ObjectVersion;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import io.prefetchd.gateway.testing.PassThroughCache;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The peer data channel over loopback with a fleet token: only reads signed with it are served, only replies signed
 * with it are taken, and the token itself is never a credential.
 */
class PeerTokenIT {
    private static final String TOKEN = "fleet-secret-0001";
    private final InMemoryObjectStore store = new InMemoryObjectStore("data");
    private final byte[] bytes = "the bytes of a block".getBytes(StandardCharsets.UTF_8);
    private final ObjectVersion object = new ObjectVersion("a.bin", store.put("a.bin", bytes), bytes.length);
    private final PeerProtocol.ReadRequest request = new PeerProtocol.ReadRequest(object, 0, bytes.length);
    private final PeerServer server = server(PeerAuth.of(TOKEN, Clock.systemUTC()));

    private PeerServer server(PeerAuth auth) {
        return PeerServer.start("127.0.0.1", 0, auth, new PassThroughCache(store),
                new FleetMetrics(new SimpleMeterRegistry()), 2, () -> null);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private PeerProtocol.ReadReply read(PeerServer owner, PeerAuth auth) throws Exception {
        try (PeerClient client = new PeerClient(Duration.ofSeconds(10), auth)) {
            return client.read(new Peer("member-1", "127.0.0.1", owner.port()), request).get();
        }
    }

    private static Status.Code code(ExecutionException e) {
        return ((StatusRuntimeException) e.getCause()).getStatus().getCode();
    }

    @Test
    void readSignedWithTheToken_isServed() throws Exception {
        assertArrayEquals(bytes, read(server, PeerAuth.of(TOKEN, Clock.systemUTC())).data());
    }

    @Test
    void readUnsigned_orSignedWithAnotherToken_isRefusedUnauthenticated() {
        for (PeerAuth auth : new PeerAuth[] {PeerAuth.none(), PeerAuth.of("another-secret-01", Clock.systemUTC())}) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> read(server, auth));
            assertEquals(Status.Code.UNAUTHENTICATED, code(e), auth.toString());
        }
    }

    @Test
    void readSignedOutsideTheClockWindow_isRefused() {
        // a request seen on the network and sent again later looks like one signed by a clock this far ahead
        Clock late = Clock.offset(Clock.systemUTC(), PeerAuth.SKEW.plusMinutes(1));

        ExecutionException e = assertThrows(ExecutionException.class, () -> read(server, PeerAuth.of(TOKEN, late)));

        assertEquals(Status.Code.UNAUTHENTICATED, code(e));
        assertTrue(e.getCause().getMessage().contains("away from this member's clock"), e.getCause().getMessage());
    }

    @Test
    void theTokenItself_sentAsABearerCredential_isRefused() throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        try {
            Metadata bearer = new Metadata();
            bearer.put(BearerToken.AUTHORIZATION, "Bearer " + TOKEN);
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
                    ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(bearer)),
                    PeerProtocol.READ, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), request));
            assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void replyNotSignedWithTheToken_isRefusedByTheReader() {
        // a process that joined the membership without the token answers every read, unsigned
        try (PeerServer rogue = server(PeerAuth.none())) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> read(rogue, PeerAuth.of(TOKEN, Clock.systemUTC())));
            assertEquals(Status.Code.UNAUTHENTICATED, code(e));
            assertTrue(e.getCause().getMessage().contains("not signed with this fleet's token"),
                    e.getCause().getMessage());
        }
    }
}
