package io.prefetchd.gateway.daemon;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micronaut.context.ApplicationContext;
import io.prefetchd.gateway.hints.HintServer;
import io.prefetchd.gateway.nfs.client.Nfs4Client;
import io.prefetchd.gateway.reports.ReportCommand;
import io.prefetchd.gateway.reports.ReportStore;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.gateway.testing.PublishEpoch;
import io.prefetchd.planner.proto.EpochRef;
import io.prefetchd.planner.proto.HintsGrpc;
import io.prefetchd.planner.proto.RegisterDatasetRequest;
import io.prefetchd.planner.report.EpochEnd;
import io.prefetchd.planner.report.EpochReport;
import io.prefetchd.tracer.EpochTrace;
import io.prefetchd.tracer.ObjectSummary;
import io.prefetchd.tracer.ReadRecord;
import io.prefetchd.tracer.TraceStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * One dataset identity through the real daemon, a real S3 server (S3Proxy in-process), the hint API over gRPC and
 * the gateway's NFS port: a hinted job's epochs are traced under the dataset's path and the job's name, one trace
 * file per epoch, and its reports name the dataset by path, so that {@code prefetchd report --dataset <path>}
 * finds them.
 */
class DatasetIdentityIT {
    private static final String BUCKET = "identity-it";
    private static final String PATH = "data/train";
    private static final String JOB = "resnet-run1";
    private static final int FILES = 8;
    private static S3ProxyFixture s3;

    @BeforeAll
    static void start() {
        s3 = S3ProxyFixture.start();
        s3.createBucket(BUCKET);
        Random random = new Random(1);
        for (int i = 0; i < FILES; i++) {
            byte[] b = new byte[20_000 + 1000 * i];
            random.nextBytes(b);
            s3.put(BUCKET, PATH + "/" + name(i), b);
        }
        s3.put(BUCKET, "other/readme.txt", new byte[] {'h', 'i'});
    }

    @AfterAll
    static void stop() {
        s3.close();
    }

    private static String name(int sample) {
        return String.format("s%02d.bin", sample);
    }

    @Test
    void hintedJob_threeEpochs_giveThreeTraceFilesUnderTheJob_andThreeReportsNamingThePath(@TempDir Path state)
            throws Exception {
        String id;
        try (ApplicationContext ctx = Daemon.start(s3.daemonProperties(BUCKET, state))) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1",
                    ctx.getBean(HintServer.class).port()).usePlaintext().build();
            try (Nfs4Client nfs = Nfs4Client.connect("127.0.0.1", ctx.getBean(Gateway.class).nfsPort())) {
                var blocking = HintsGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
                id = blocking.registerDataset(RegisterDatasetRequest.newBuilder().setPath("/mnt/data/" + PATH)
                        .setFormat("files").setExportPath(PATH).build()).getDatasetId();
                Nfs4Client.OpenFile other = nfs.open("other/readme.txt"); // not a dataset: traced as before
                nfs.readAll(other, 1 << 20);
                nfs.closeFile(other);
                for (int epoch = 0; epoch < 3; epoch++) {
                    List<Integer> order = new ArrayList<>();
                    for (int i = 0; i < FILES; i++) {
                        order.add(i);
                    }
                    Collections.shuffle(order, new Random(epoch));
                    PublishEpoch.publish(HintsGrpc.newStub(channel), id, JOB, epoch, order);
                    for (int s : order) {
                        Nfs4Client.OpenFile f = nfs.open(PATH + "/" + name(s));
                        assertEquals(f.size(), nfs.readAll(f, 1 << 20).length);
                        nfs.closeFile(f);
                    }
                    blocking.endEpoch(EpochRef.newBuilder().setDatasetId(id).setJob(JOB).setEpoch(epoch).build());
                }
                String status = ctx.getBean(MetricsController.class).status();
                assertTrue(status.contains("  " + PATH + " (files) [" + id + "]: " + FILES + " samples"), status);
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        } // a clean stop: every trace file finished, every completed epoch's report saved

        TraceStore traces = TraceStore.open(state);
        List<EpochTrace> epochs = traces.epochs(PATH, JOB);
        assertEquals(List.of(0, 1, 2), epochs.stream().map(EpochTrace::epoch).toList(), traces.epochs().toString());
        for (EpochTrace e : epochs) {
            assertEquals(1, e.parts().size(), e.toString());
            List<ObjectSummary> objects = traces.objectSummaries(e);
            assertEquals(FILES, objects.size(), "every file of epoch " + e.epoch());
            ReadRecord first = traces.readAll(e).get(0);
            assertEquals(PATH, first.dataset());
            assertEquals(JOB, first.job());
            assertEquals(e.epoch(), first.epoch());
        }
        assertEquals(4, traces.epochs().size(), "the three hinted epochs, and one of the unregistered folder: "
                + traces.epochs());
        assertEquals(1, traces.epochs("other", "default").size());

        List<EpochReport> reports = ReportStore.readPersisted(state.resolve("reports"), PATH, null);
        assertEquals(List.of(0, 1, 2), reports.stream().map(EpochReport::epoch).toList(), reports.toString());
        for (EpochReport r : reports) {
            assertTrue(r.complete(), r.toString());
            assertEquals(EpochEnd.END_EPOCH, r.ended(), "each epoch ended by the job, the last one too");
            assertEquals(id, r.dataset(), "the id stays");
            assertEquals(PATH, r.datasetPath());
            assertEquals("files", r.datasetFormat());
            assertEquals(JOB, r.job());
            assertEquals(FILES, r.samplesRead());
        }

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new ReportCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        assertEquals(0, cl.execute("--state-dir", state.toString(), "--dataset", PATH), err.toString());
        assertTrue(out.toString().startsWith(PATH + " (files) [" + id + "] / " + JOB + ": "), out.toString());
        assertEquals(0, cl.execute("--state-dir", state.toString(), "--dataset", id, "--json"), err.toString());
        assertEquals(3, out.toString().split("\"dataset_path\": \"" + PATH + "\"", -1).length - 1, out.toString());
    }

    /**
     * A job without hints: its first epoch ends when the second wraps around, and the second, still running when the
     * daemon stops, is kept as a complete report of the reads it had: two epochs, two reports.
     */
    @Test
    void unhintedJob_lastEpochRunningAtStop_isKeptAsAShutdownReport(@TempDir Path state) throws Exception {
        String id;
        try (ApplicationContext ctx = Daemon.start(s3.daemonProperties(BUCKET, state))) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1",
                    ctx.getBean(HintServer.class).port()).usePlaintext().build();
            try (Nfs4Client nfs = Nfs4Client.connect("127.0.0.1", ctx.getBean(Gateway.class).nfsPort())) {
                id = HintsGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS).registerDataset(
                        RegisterDatasetRequest.newBuilder().setPath("/mnt/data/" + PATH).setFormat("files")
                                .setExportPath(PATH).build()).getDatasetId(); // answered once planned
                for (int epoch = 0; epoch < 2; epoch++) {
                    List<Integer> order = new ArrayList<>();
                    for (int i = 0; i < FILES; i++) {
                        order.add(i);
                    }
                    Collections.shuffle(order, new Random(10 + epoch));
                    for (int s : order) {
                        Nfs4Client.OpenFile f = nfs.open(PATH + "/" + name(s));
                        assertEquals(f.size(), nfs.readAll(f, 1 << 20).length);
                        nfs.closeFile(f);
                    }
                }
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        } // stopped while epoch 1 runs: no wrap-around, idle gap or hint ended it

        List<EpochReport> reports = ReportStore.readPersisted(state.resolve("reports"), PATH, null);
        assertEquals(List.of(0, 1), reports.stream().map(EpochReport::epoch).toList(), reports.toString());
        assertEquals(List.of(EpochEnd.NEXT_EPOCH, EpochEnd.SHUTDOWN), reports.stream().map(EpochReport::ended)
                .toList());
        for (EpochReport r : reports) {
            assertTrue(r.complete(), r.toString());
            assertFalse(r.hinted());
            assertEquals(id, r.dataset());
            assertEquals("default", r.job());
            assertEquals(FILES, r.samplesRead(), "epoch " + r.epoch());
        }
        assertNotNull(reports.get(1).counterfactual(), "the executor stops before the report store, which waits "
                + "for the simulation: " + reports.get(1).counterfactualNote());
    }
}
