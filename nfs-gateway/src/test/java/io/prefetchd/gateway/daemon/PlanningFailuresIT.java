package io.prefetchd.gateway.daemon;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micronaut.context.ApplicationContext;
import io.prefetchd.gateway.datasets.DatasetKind;
import io.prefetchd.gateway.datasets.DatasetRegistry;
import io.prefetchd.gateway.hints.HintServer;
import io.prefetchd.gateway.hints.HintService;
import io.prefetchd.gateway.nfs.client.Nfs4Client;
import io.prefetchd.gateway.prefetch.PrefetchExecutor;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.gateway.testing.PublishEpoch;
import io.prefetchd.planner.proto.EpochRef;
import io.prefetchd.planner.proto.EpochStatus;
import io.prefetchd.planner.proto.HintsGrpc;
import io.prefetchd.planner.proto.PublishEpochResponse;
import io.prefetchd.planner.proto.RegisterDatasetRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Datasets the planner has to plan, through the hint API over gRPC, a real S3 server (S3Proxy in-process) and the
 * gateway's NFS port: a folder with a zero-byte file is planned like any other, and a planner that cannot be built
 * is answered to the job and shown on /status instead of a hint being accepted and dropped.
 */
class PlanningFailuresIT {
    private static final String BUCKET = "planning-it";
    /** Five files, the fourth (sample 3 in key order) empty. */
    private static final List<String> FILES = List.of("a.bin", "b.bin", "c.bin", "d-empty.bin", "e.bin");
    private static S3ProxyFixture s3;

    @BeforeAll
    static void start() {
        s3 = S3ProxyFixture.start();
        s3.createBucket(BUCKET);
        for (int i = 0; i < FILES.size(); i++) {
            String name = FILES.get(i);
            s3.put(BUCKET, "folder/" + name, name.contains("empty") ? new byte[0] : bytes(i, 40_000 + i * 1000));
        }
    }

    @AfterAll
    static void stop() {
        s3.close();
    }

    private static byte[] bytes(int seed, int n) {
        byte[] b = new byte[n];
        new java.util.Random(seed).nextBytes(b);
        return b;
    }

    private static RegisterDatasetRequest folder() {
        return RegisterDatasetRequest.newBuilder().setPath("/mnt/data/folder").setFormat("files")
                .setExportPath("folder").build();
    }

    private static PublishEpochResponse publish(HintsGrpc.HintsStub stub, String id, int... order) throws Exception {
        return PublishEpoch.publish(stub, id, "it", 0, order);
    }

    private static String get(int port, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void folderWithAZeroByteFile_isPlanned_andItsHintsReachThePlanner(@TempDir Path state) throws Exception {
        try (ApplicationContext ctx = Daemon.start(s3.daemonProperties(BUCKET, state))) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1",
                    ctx.getBean(HintServer.class).port()).usePlaintext().build();
            try {
                var blocking = HintsGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
                var registered = blocking.registerDataset(folder());
                assertEquals(FILES.size(), registered.getSampleCount());
                String id = registered.getDatasetId();
                int[] order = {3, 0, 4, 1, 2};
                assertEquals(FILES.size(), publish(HintsGrpc.newStub(channel), id, order).getAccepted());

                Gateway gw = ctx.getBean(Gateway.class);
                gw.prefetcher().whenIdle().get(30, TimeUnit.SECONDS);
                EpochRef epoch0 = EpochRef.newBuilder().setDatasetId(id).setJob("it").setEpoch(0).build();
                EpochStatus before = blocking.getEpochStatus(epoch0);
                assertEquals(FILES.size(), before.getPlanned());
                assertEquals(FILES.size(), before.getFetched(), "every sample prefetched (the empty one has no bytes)");
                assertEquals(1, before.getConsumed(), "only the empty sample counts as read before any READ");

                try (Nfs4Client nfs = Nfs4Client.connect("127.0.0.1", gw.nfsPort())) {
                    for (int s : order) {
                        Nfs4Client.OpenFile f = nfs.open("folder/" + FILES.get(s));
                        assertEquals(f.size(), nfs.readAll(f, 1 << 20).length);
                        nfs.closeFile(f);
                    }
                }
                gw.prefetcher().whenIdle().get(30, TimeUnit.SECONDS);
                EpochStatus after = blocking.getEpochStatus(epoch0);
                assertEquals(FILES.size(), after.getConsumed(), "every sample read");
                assertEquals(FILES.size(), after.getFetched());

                String status = get(Daemon.httpPort(ctx), "/status");
                assertTrue(status.contains("folder (files) [" + id + "]: " + FILES.size() + " samples"), status);
                assertFalse(status.contains("NOT PLANNED"), status);
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aPlannerThatCannotBeBuilt_failsRegisterAndPublish_namingTheDataset_andShowsOnStatus(@TempDir Path state)
            throws Exception {
        PrefetchExecutor.PlannerFactory broken = (dataset, config, resident) -> {
            throw new IllegalStateException("injected planner failure");
        };
        try (GatewayFixture gw = new GatewayFixture(s3, BUCKET, state).withPlanners(broken).start();
             DatasetRegistry datasets = new DatasetRegistry(gw.gateway.store(), "", state.resolve("indexes"), 2,
                     gw.registry, Clock.systemUTC())) {
            // wired as the daemon wires them (Assembly)
            datasets.addListener(d -> gw.gateway.prefetcher().addDataset(d.id(), d.index()));
            try (HintServer server = HintServer.start(HintServer.Listen.plain("127.0.0.1", 0), new HintService(gw.gateway.planning(),
                    gw.gateway.tracer(), datasets, 1000))) {
                ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext()
                        .build();
                try {
                    var blocking = HintsGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
                    StatusRuntimeException register = assertThrows(StatusRuntimeException.class,
                            () -> blocking.registerDataset(folder()));
                    String id = datasets.register("folder", DatasetKind.FILES, List.of()).id();
                    assertEquals(Status.Code.FAILED_PRECONDITION, register.getStatus().getCode());
                    assertEquals("dataset " + id + " (files 'folder') is served without prefetch: its planner could "
                            + "not be built: injected planner failure", register.getStatus().getDescription());

                    StatusRuntimeException published = assertThrows(StatusRuntimeException.class,
                            () -> publish(HintsGrpc.newStub(channel), id, 0, 1, 2, 3, 4));
                    assertEquals(Status.Code.FAILED_PRECONDITION, published.getStatus().getCode());
                    assertEquals(register.getStatus().getDescription(), published.getStatus().getDescription());
                    assertEquals(0, blocking.getEpochStatus(EpochRef.newBuilder().setDatasetId(id).setJob("it")
                            .build()).getPlanned(), "a hint no planner took is not recorded");

                    String status = new MetricsController(null, gw.gateway, null).status();
                    assertTrue(status.contains(id + ": NOT PLANNED (served without prefetch): its planner could not "
                            + "be built: injected planner failure"), status);
                } finally {
                    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                }
            }
        }
    }
}
