package io.prefetchd.gateway.fleet;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.cache.ObjectVersion;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import io.prefetchd.gateway.testing.PassThroughCache;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The peer data channel over loopback with a fleet token: only callers that carry it are served. */
class PeerTokenIT {
    private static final String TOKEN = "fleet-secret-1";
    private final InMemoryObjectStore store = new InMemoryObjectStore("data");
    private final byte[] bytes = "the bytes of a block".getBytes(StandardCharsets.UTF_8);
    private final ObjectVersion object = new ObjectVersion("a.bin", store.put("a.bin", bytes), bytes.length);
    private final PeerServer server = PeerServer.start("127.0.0.1", 0, TOKEN, new PassThroughCache(store),
            new FleetMetrics(new SimpleMeterRegistry()), 2, () -> null);

    @AfterEach
    void stop() {
        server.close();
    }

    private PeerProtocol.ReadReply read(String token) throws Exception {
        try (PeerClient client = new PeerClient(Duration.ofSeconds(10), token)) {
            return client.read(new Peer("member-1", "127.0.0.1", server.port()),
                    new PeerProtocol.ReadRequest(object, 0, bytes.length)).get();
        }
    }

    @Test
    void callerWithTheToken_isServed() throws Exception {
        assertArrayEquals(bytes, read(TOKEN).data());
    }

    @Test
    void callerWithoutTheToken_orWithAnother_isRefusedUnauthenticated() {
        for (String token : new String[] {"", "another-secret"}) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> read(token));
            assertEquals(Status.Code.UNAUTHENTICATED, ((StatusRuntimeException) e.getCause()).getStatus().getCode(),
                    "token '" + token + "'");
        }
    }
}
