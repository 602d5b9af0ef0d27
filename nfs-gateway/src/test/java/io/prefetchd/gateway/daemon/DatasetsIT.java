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
