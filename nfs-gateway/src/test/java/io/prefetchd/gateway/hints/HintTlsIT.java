package io.prefetchd.gateway.hints;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.datasets.DatasetRegistry;
import io.prefetchd.gateway.datasets.DemoBucket;
import io.prefetchd.gateway.testing.SelfSignedCert;
import io.prefetchd.planner.HintSink;
import io.prefetchd.planner.proto.EpochRef;
import io.prefetchd.planner.proto.HintsGrpc;
import io.prefetchd.tracer.AccessTracer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The hint API over TLS with a certificate made at test time. */
class HintTlsIT {
    @TempDir
    Path dir;

    @Test
    void tlsClient_reachesTheService_plaintextClientDoesNot() throws Exception {
        SelfSignedCert cert = SelfSignedCert.create(dir.resolve("tls"));
        HintServer.Listen c = new HintServer.Listen("0.0.0.0", 0, "", 4 << 20, cert.cert().toString(),
                cert.key().toString());
        try (DatasetRegistry datasets = new DatasetRegistry(DemoBucket.create(""), "", dir.resolve("indexes"), 1,
                new SimpleMeterRegistry(), Clock.systemUTC());
             HintServer server = HintServer.start(c, new HintService(Planning.forwardingTo(HintSink.NONE), AccessTracer.disabled(), datasets,
                     1000))) {
            ManagedChannel tls = NettyChannelBuilder.forAddress("localhost", server.port(),
                    TlsChannelCredentials.newBuilder().trustManager(cert.cert().toFile()).build()).build();
            ManagedChannel plain = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
            try {
                EpochRef unknown = EpochRef.newBuilder().setDatasetId("nope").setJob("it").build();
                // the service's own answer about an unknown dataset: TLS worked
                var e = assertThrows(StatusRuntimeException.class,
                        () -> HintsGrpc.newBlockingStub(tls).getEpochStatus(unknown));
                assertNotEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
                var p = assertThrows(StatusRuntimeException.class,
                        () -> HintsGrpc.newBlockingStub(plain).withDeadlineAfter(10, TimeUnit.SECONDS)
                                .getEpochStatus(unknown));
                assertEquals(Status.Code.UNAVAILABLE, p.getStatus().getCode(), p.toString());
            } finally {
                tls.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                plain.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void pythonClient_withTheRootCertificate_reachesTheService() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        boolean grpc = Files.isExecutable(python)
                && new ProcessBuilder(python.toString(), "-c", "import grpc").start().waitFor() == 0;
        if (System.getenv("CI") != null) {
            assertTrue(grpc, "CI must run the Python client: python3-grpcio (.ci/run installs it)");
        }
        assumeTrue(grpc, "python3-grpcio is not installed");
        SelfSignedCert cert = SelfSignedCert.create(dir.resolve("tls"));
        HintServer.Listen c = new HintServer.Listen("0.0.0.0", 0, "", 4 << 20, cert.cert().toString(),
                cert.key().toString());
        Path client = Path.of(System.getProperty("user.dir")).getParent().resolve("clients/python-stub");
        String script = String.join("\n",
                "import sys, grpc",
                "from prefetchd_client.client import HintClient",
                "for kw in ({'root_certificates': open(sys.argv[2], 'rb').read()}, {}):",
                "    c = HintClient(sys.argv[1], timeout=10, **kw)",
                "    try:",
                "        c.epoch_status('nope', 'it', 0)",
                "        print('OK')",
                "    except grpc.RpcError as e:",
                "        print(e.code().name)");
        try (DatasetRegistry datasets = new DatasetRegistry(DemoBucket.create(""), "", dir.resolve("indexes"), 1,
                new SimpleMeterRegistry(), Clock.systemUTC());
             HintServer server = HintServer.start(c, new HintService(Planning.forwardingTo(HintSink.NONE), AccessTracer.disabled(), datasets,
                     1000))) {
            ProcessBuilder pb = new ProcessBuilder(python.toString(), "-c", script, "localhost:" + server.port(),
                    cert.cert().toString()).redirectErrorStream(true);
            pb.environment().put("PYTHONPATH", client.toString());
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            List<String> lines = out.lines().toList();
            assertEquals(2, lines.size(), out);
            assertNotEquals("UNAVAILABLE", lines.get(0), "with the certificate, the service answers: " + out);
            assertEquals("UNAVAILABLE", lines.get(1), "plaintext against TLS: " + out);
        }
    }

    @Test
    void certWithoutKey_failsTheStart() {
        HintServer.Listen c = new HintServer.Listen("0.0.0.0", 0, "", 4 << 20, dir.resolve("cert.pem").toString(), "");
        var e = assertThrows(IllegalStateException.class, () -> HintServer.start(c, null));
        assertTrue(e.getMessage().contains("go together"), e.getMessage());
    }
}
