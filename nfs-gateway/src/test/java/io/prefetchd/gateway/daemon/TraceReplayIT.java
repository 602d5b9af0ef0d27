package io.prefetchd.gateway.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micronaut.context.ApplicationContext;
import io.prefetchd.gateway.hints.HintServer;
import io.prefetchd.gateway.nfs.client.Nfs4Client;
import io.prefetchd.gateway.reports.ReportStore;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.gateway.testing.PublishEpoch;
import io.prefetchd.planner.proto.EpochRef;
import io.prefetchd.planner.proto.HintsGrpc;
import io.prefetchd.planner.proto.RegisterDatasetRequest;
import io.prefetchd.planner.report.EpochReport;
import io.prefetchd.planner.sim.SimulateCommand;
import io.prefetchd.tracer.EpochTrace;
import io.prefetchd.tracer.ReadRecord;
import io.prefetchd.tracer.TraceStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Traces through the real daemon (S3Proxy in-process, the hint API over gRPC, the NFS port): every READ of a hinted
 * job carries its sample and rank, and {@code prefetchd simulate} replaying the recorded Arrow files of an epoch
 * gives exactly the LRU and OPT figures of that epoch's report.
 */
class TraceReplayIT {
    private static final String BUCKET = "replay-it";
    private static final String PATH = "data/train";
    private static final String JOB = "resnet-run1";
    private static final int FILES = 12;
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
    }

    @AfterAll
    static void stop() {
        s3.close();
    }

    private static String name(int sample) {
        return String.format("s%02d.bin", sample);
    }

    @Test
    void recordedEpoch_replayedBySimulate_givesTheReportsLruAndOpt(@TempDir Path state) throws Exception {
        Map<String, Object> props = s3.daemonProperties(BUCKET, state);
        props.put("prefetchd.cache.size", "160KiB"); // about half of the 306 KB dataset: LRU and OPT differ
        props.put("prefetchd.cache.grain", 32 * 1024); // the cache holds at least two grains; files fit in one
        List<List<Integer>> orders = new ArrayList<>();
        try (ApplicationContext ctx = Daemon.start(props)) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1",
                    ctx.getBean(HintServer.class).port()).usePlaintext().build();
            try (Nfs4Client nfs = Nfs4Client.connect("127.0.0.1", ctx.getBean(Gateway.class).nfsPort())) {
                var blocking = HintsGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
                String id = blocking.registerDataset(RegisterDatasetRequest.newBuilder().setPath("/mnt/data/" + PATH)
                        .setFormat("files").setExportPath(PATH).build()).getDatasetId();
                for (int epoch = 0; epoch < 3; epoch++) {
                    List<Integer> order = new ArrayList<>();
                    for (int i = 0; i < FILES; i++) {
                        order.add(i);
                    }
                    Collections.shuffle(order, new Random(epoch));
                    orders.add(order);
                    PublishEpoch.publish(HintsGrpc.newStub(channel), id, JOB, epoch, order);
                    for (int s : order) {
                        Nfs4Client.OpenFile f = nfs.open(PATH + "/" + name(s));
                        assertEquals(f.size(), nfs.readAll(f, 1 << 20).length);
                        nfs.closeFile(f);
                    }
                    blocking.endEpoch(EpochRef.newBuilder().setDatasetId(id).setJob(JOB).setEpoch(epoch).build());
                }
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }

        TraceStore traces = TraceStore.open(state);
        List<EpochTrace> epochs = traces.epochs(PATH, JOB);
        assertEquals(3, epochs.size(), epochs.toString());
        for (EpochTrace e : epochs) {
            List<ReadRecord> reads = traces.readAll(e);
            List<Long> samples = reads.stream().map(ReadRecord::sample).distinct().toList();
            assertEquals(orders.get(e.epoch()).stream().map(Integer::longValue).toList(), samples,
                    "every READ names its sample, in the order read");
            assertTrue(reads.stream().allMatch(r -> r.rank() == 0), "a job of one rank: rank 0 on every read");
        }

        List<EpochReport> reports = ReportStore.readPersisted(state.resolve("reports"), PATH, null);
        assertEquals(3, reports.size(), reports.toString());
        for (int epoch = 1; epoch < 3; epoch++) {
            EpochReport report = reports.get(epoch);
            assertEquals(epoch, report.epoch());
            assertNotNull(report.counterfactual(), report.toString());
            assertTrue(report.counterfactual().warmedUp(), "warmed by the epoch before");
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            assertEquals(0, SimulateCommand.run(new String[] {"--trace", state.resolve("traces").toString(), "--job",
                    JOB, "--epoch", Integer.toString(epoch), "--cache-size", Long.toString(report.capacityBytes()),
                    "--policies", "lru,opt", "--json"}, new PrintWriter(out, true), new PrintWriter(err, true)),
                    err.toString());
            JsonNode policies = new ObjectMapper().readTree(out.toString()).get("policies");
            assertSamePolicy(report.counterfactual().lru(), policies.get(0), "lru, epoch " + epoch);
            assertSamePolicy(report.counterfactual().opt(), policies.get(1), "opt, epoch " + epoch);
        }
        assertNotEquals(reports.get(2).counterfactual().lru().hitRatio(),
                reports.get(2).counterfactual().opt().hitRatio(), "a cache where the policies differ");
    }

    private static void assertSamePolicy(EpochReport.Policy expected, JsonNode got, String what) {
        assertEquals(expected.hitRatio(), got.get("hitRatio").asDouble(), 1e-12, what + ": " + got);
        assertEquals(expected.s3Bytes(), Math.round(got.get("s3BytesPerEpoch").asDouble()), what + ": " + got);
        assertEquals(expected.s3Gets(), Math.round(got.get("requestsPerEpoch").asDouble()), what + ": " + got);
    }
}
