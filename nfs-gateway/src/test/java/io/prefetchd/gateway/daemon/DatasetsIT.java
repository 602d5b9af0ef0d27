package io.prefetchd.gateway.daemon;

import io.micronaut.context.ApplicationContext;
import io.prefetchd.gateway.datasets.DatasetKind;
import io.prefetchd.gateway.datasets.DatasetRegistry;
import io.prefetchd.gateway.datasets.ServedDataset;
import io.prefetchd.gateway.embedded.DemoDataset;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The dataset registry over a real S3 server (S3Proxy in-process) holding the demo dataset: through the
 * gateway's own store, across a restart, and as the daemon indexes its configured datasets at start-up.
 */
class DatasetsIT {
    private static final String BUCKET = "datasets-it";
    private static S3ProxyFixture s3;

    @BeforeAll
    static void start() throws Exception {
        s3 = S3ProxyFixture.start();
        s3.createBucket(BUCKET);
        new DemoDataset().uploadTo(s3.adminClient(), BUCKET);
    }

    @AfterAll
    static void stop() {
        s3.close();
    }

    private static DatasetRegistry registry(GatewayFixture gw) {
        return new DatasetRegistry(gw.gateway.store(), "", gw.stateDir.resolve("indexes"), 2, gw.registry,
                Clock.systemUTC());
    }

    @Test
    void demoDatasets_areIndexedOverS3_andReloadedAfterARestartWithoutRescans(@TempDir Path state) {
        try (GatewayFixture gw = new GatewayFixture(s3, BUCKET, state).start()) {
            String wds;
            try (DatasetRegistry r = registry(gw)) {
                ServedDataset w = r.register("webdataset", DatasetKind.WEBDATASET, List.of());
                ServedDataset i = r.register("imagefolder/train", DatasetKind.IMAGEFOLDER, List.of());
                assertEquals(100, w.sampleCount());
                assertEquals(200, i.sampleCount());
                // 4 shards streamed; 200 files "scanned" from the listing alone
                assertEquals(204.0, gw.registry.get("prefetchd.datasets.objects.scanned").counter().count());
                wds = w.id();
            }
            gw.restart();
            try (DatasetRegistry r = registry(gw)) {
                assertEquals(wds, r.register("webdataset", DatasetKind.WEBDATASET, List.of()).id());
                assertEquals(200, r.register("imagefolder/train", DatasetKind.IMAGEFOLDER, List.of()).sampleCount());
                assertEquals(204.0, gw.registry.get("prefetchd.datasets.objects.reused").counter().count());
                assertEquals(0.0, gw.registry.get("prefetchd.datasets.objects.scanned").counter().count());
                assertEquals(0.0, gw.s3Gets(), "a reload over an unchanged bucket reads no object");
            }
        }
    }

    /**
     * With the planner off the cache still learns where samples begin and end: reading one tar member fetches
     * exactly its bytes, not the grains it shares with its neighbours.
     */
    @Test
    void withThePlannerOff_aSampleReadFetchesOnlyItsOwnBytes(@TempDir Path state) {
        Map<String, Object> p = s3.daemonProperties(BUCKET, state);
        p.put("prefetchd.planner.enabled", "false");
        try (ApplicationContext ctx = Daemon.start(p)) {
            // returns once the index is built and every listener (the cache's cuts) has seen it
            ServedDataset d = ctx.getBean(DatasetRegistry.class).register("webdataset", DatasetKind.WEBDATASET,
                    List.of());
            Gateway gateway = ctx.getBean(Gateway.class);
            io.micrometer.core.instrument.MeterRegistry meters = ctx.getBean(
                    io.micrometer.core.instrument.MeterRegistry.class);
            for (int sample : new int[] {5, 6, 40}) {
                io.prefetchd.formats.Extent e = d.index().extents(sample).get(0);
                io.prefetchd.formats.ObjectRef o = d.index().objects().stream()
                        .filter(ref -> ref.key().equals(e.object())).findFirst().orElseThrow();
                double before = meters.counter("prefetchd.s3.bytes").count();
                byte[] bytes = gateway.cache().read(new io.prefetchd.gateway.cache.ObjectVersion(o.key(), o.etag(),
                        o.size()), e.offset(), (int) e.length());
                assertEquals(e.length(), bytes.length);
                assertEquals(e.length(), meters.counter("prefetchd.s3.bytes").count() - before, 0.0,
                        "sample " + sample + ": S3 bytes for a " + e.length() + "-byte member");
            }
        }
    }

    @Test
    void configuredDatasets_areIndexedInTheBackground_andAFailureDoesNotStopTheDaemon(@TempDir Path state)
            throws Exception {
        Map<String, Object> p = s3.daemonProperties(BUCKET, state);
        p.put("prefetchd.datasets", "webdataset:webdataset,imagefolder:no/such/folder");
        try (ApplicationContext ctx = Daemon.start(p)) {
            DatasetRegistry r = ctx.getBean(DatasetRegistry.class);
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (r.all().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(List.of("webdataset"), r.all().stream().map(ServedDataset::exportPath).toList());
            assertTrue(ctx.getBean(Gateway.class).nfsPort() > 0, "the daemon runs on");
        }
    }
}
