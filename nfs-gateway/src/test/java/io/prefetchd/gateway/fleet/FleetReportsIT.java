package io.prefetchd.gateway.fleet;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micronaut.context.ApplicationContext;
import io.prefetchd.gateway.daemon.Daemon;
import io.prefetchd.gateway.daemon.Gateway;
import io.prefetchd.gateway.hints.HintServer;
import io.prefetchd.gateway.nfs.client.Nfs4Client;
import io.prefetchd.gateway.reports.ReportCommand;
import io.prefetchd.gateway.reports.ReportStore;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.gateway.testing.PublishEpoch;
import io.prefetchd.planner.proto.EpochRef;
import io.prefetchd.planner.proto.HintsGrpc;
import io.prefetchd.planner.proto.RegisterDatasetRequest;
import io.prefetchd.planner.report.EpochReport;
import io.prefetchd.planner.report.Reports;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.prefetchd.gateway.testing.Await.await;

/**
 * Two whole daemons in one fleet on loopback over one S3Proxy: a hinted epoch whose samples are read half through
 * each member gives one report per epoch on either member ({@code /api/fleet/reports} and {@code prefetchd report}),
 * whose figures are the sums of the members' own reports.
 */
class FleetReportsIT {
    private static final String BUCKET = "fleet-reports";
    private static final String PATH = "data/train";
    private static final String JOB = "resnet";
    private static final int FILES = 12;

    @TempDir
    Path dir;

    private S3ProxyFixture s3;
    private final List<ApplicationContext> daemons = new ArrayList<>();
    private final List<byte[]> contents = new ArrayList<>();

    @AfterEach
    void stop() {
        for (int i = daemons.size() - 1; i >= 0; i--) {
            daemons.get(i).close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    private static String name(int sample) {
        return String.format("s%02d.bin", sample);
    }

    private static int freePort() throws IOException {
        return FleetGateways.freePort();
    }

    private ApplicationContext start(int i, int[] fleetPorts) {
        Map<String, Object> p = s3.daemonProperties(BUCKET, dir.resolve("member-" + i));
        p.put("prefetchd.fleet.name", "reports-it");
        p.put("prefetchd.fleet.bind", "127.0.0.1");
        p.put("prefetchd.fleet.port", fleetPorts[i]);
        List<String> members = new ArrayList<>();
        for (int port : fleetPorts) {
            members.add("127.0.0.1:" + port);
        }
        p.put("prefetchd.fleet.members", String.join(",", members));
        p.put("prefetchd.fleet.failure-timeout", "3s");
        p.put("prefetchd.fleet.token", "reports-it-token");   // peer reads below carry it
        p.put("prefetchd.cache.size", "64MiB");
        ApplicationContext ctx = Daemon.start(p);
        daemons.add(ctx);
        return ctx;
    }

    private static Fleet fleet(ApplicationContext ctx) {
        return ctx.getBean(Gateway.class).fleet().orElseThrow();
    }

    private static String get(ApplicationContext ctx, String path) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + Daemon.httpPort(ctx) + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), path + ": " + r.body());
            return r.body();
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static FleetReport fleetReport(ApplicationContext ctx) {
        return FleetReport.fromJson(get(ctx, "/api/fleet/reports?job=" + JOB));
    }

    private static EpochReport ownReport(ApplicationContext ctx, int epoch) {
        return Reports.fromJson(get(ctx, "/api/reports?job=" + JOB)).stream()
                .filter(r -> r.epoch() == epoch && r.complete()).findFirst().orElseThrow();
    }

    @Test
    void hintedEpochReadThroughTwoMembers_isOneFleetReportOnEither_summingTheMembersOwn() throws Exception {
        s3 = S3ProxyFixture.start();
        s3.createBucket(BUCKET);
        Random random = new Random(3);
        for (int i = 0; i < FILES; i++) {
            byte[] b = new byte[300_000 + 1000 * i];   // several grains each: their owners differ
            random.nextBytes(b);
            contents.add(b);
            s3.put(BUCKET, PATH + "/" + name(i), b);
        }
        int[] ports = {freePort(), freePort()};
        ApplicationContext a = start(0, ports);
        ApplicationContext b = start(1, ports);
        await(() -> fleet(a).members() == 2 && fleet(b).members() == 2 && fleet(a).ownedPartitions() > 0
                && fleet(b).ownedPartitions() > 0, "two members, each with its share");
        String status = get(b, "/status");
        assertTrue(status.contains("\nfleet       reports-it: 2 members (2 listed), owns "), status);
        assertTrue(status.contains(", token required\n"), status);

        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", a.getBean(HintServer.class).port())
                .usePlaintext().build();
        try (Nfs4Client nfsA = Nfs4Client.connect("127.0.0.1", a.getBean(Gateway.class).nfsPort());
             Nfs4Client nfsB = Nfs4Client.connect("127.0.0.1", b.getBean(Gateway.class).nfsPort())) {
            var hints = HintsGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
            String id = hints.registerDataset(RegisterDatasetRequest.newBuilder().setPath("/mnt/data/" + PATH)
                    .setFormat("files").setExportPath(PATH).build()).getDatasetId();
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < FILES; i++) {
                order.add(i);
            }
            Collections.shuffle(order, new Random(0));
            PublishEpoch.publish(HintsGrpc.newStub(channel), id, JOB, 0, order);
            ReportStore storeB = b.getBean(ReportStore.class);
            await(() -> storeB.reports(id, JOB).stream().anyMatch(r -> r.epoch() == 0),
                    "member b to start the epoch shared by a");

            for (int k = 0; k < FILES; k++) {   // the job's ranks: one mounts a, the other b
                Nfs4Client nfs = k % 2 == 0 ? nfsA : nfsB;
                int s = order.get(k);
                Nfs4Client.OpenFile f = nfs.open(PATH + "/" + name(s));
                assertArrayEquals(contents.get(s), nfs.readAll(f, 1 << 20), name(s));
                nfs.closeFile(f);
            }
            hints.endEpoch(EpochRef.newBuilder().setDatasetId(id).setJob(JOB).setEpoch(0).build());

            await(() -> fleetReport(a).epochs().stream().anyMatch(e -> e.epoch() == 0 && e.members().size() == 2),
                    "both members' figures of epoch 0 in the fleet's report");
            FleetReport onA = fleetReport(a);
            FleetReport onB = fleetReport(b);
            assertEquals(onA, onB, "either member answers the same");
            assertEquals(1, onA.epochs().size(), onA.toJson());
            FleetEpoch e = onA.epochs().get(0);
            assertEquals(id, e.dataset());
            assertEquals(PATH, e.datasetPath());
            assertEquals(FILES, e.samplesRead(), "every sample read once across the fleet");

            EpochReport ownA = ownReport(a, 0);
            EpochReport ownB = ownReport(b, 0);
            assertEquals(ownA.s3Bytes() + ownB.s3Bytes(), e.s3Bytes(), onA.toJson());
            assertEquals(ownA.s3Gets() + ownB.s3Gets(), e.s3Gets());
            assertEquals(ownA.samplesRead() + ownB.samplesRead(), e.samplesRead());
            assertEquals(ownA.bytesRead() + ownB.bytesRead(), e.bytesRead());
            assertTrue(ownA.samplesRead() > 0 && ownB.samplesRead() > 0, "both members served reads");
            assertTrue(e.peerBytes() > 0, "members read grains the other owns: " + onA.toJson());
            String selfA = a.getBean(FleetReports.class).self();
            assertEquals(ownA.s3Bytes(), e.members().stream().filter(m -> m.member().equals(selfA)).findFirst()
                    .orElseThrow().s3Bytes(), "each member's row is its own report");

            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CommandLine cli = new CommandLine(new ReportCommand());
            cli.setOut(new PrintWriter(out, true));
            cli.setErr(new PrintWriter(err, true));
            assertEquals(0, cli.execute("--url", "http://127.0.0.1:" + Daemon.httpPort(b), "--job", JOB),
                    err.toString());
            assertTrue(out.toString().contains("fleet reports-it: 2 members now"), out.toString());
            assertTrue(out.toString().contains(PATH + " (files) / " + JOB + " (fleet)"), out.toString());
            assertTrue(out.toString().lines().anyMatch(l -> l.contains("all 2") && l.contains(" " + FILES + " ")),
                    out.toString());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
