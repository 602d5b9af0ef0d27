package io.prefetchd.gateway.daemon;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.fleet.FleetSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Every setting is checked once, when the daemon starts, and a wrong one fails the start naming it. */
class DaemonSettingsTest {

    private static String failure(GatewayConfig c) {
        return assertThrows(StartupException.class, () -> DaemonSettings.of(c)).getMessage();
    }

    @Test
    void defaults_areValid_andTurnIntoTheirTypedValues() {
        DaemonSettings s = DaemonSettings.of(new GatewayConfig());

        assertEquals(10L << 30, s.cacheBytes());
        assertEquals(128 * 1024, s.grain());
        assertEquals(Path.of("./prefetchd-state").resolve("cache"), s.cacheDir());
        assertNull(s.staging(), "writes are off by default");
        assertNotNull(s.planner());
        assertNotNull(s.tracer());
        assertNotNull(s.grpc());
        assertNull(s.fleet(), "no fleet without members");
        assertNull(s.s3Api(), "the S3 endpoint is off by default");
        assertEquals(0444, s.ownership().fileMode());
    }

    @Test
    void cacheGrain_notAPowerOfTwo_failsNamingTheSetting() {
        GatewayConfig c = new GatewayConfig();
        c.getCache().setGrain(100_000);

        assertEquals("prefetchd.cache.grain must be a power of two from 4096 to 262144, not 100000", failure(c));
    }

    @Test
    void cacheSize_notASize_failsNamingTheSetting() {
        GatewayConfig c = new GatewayConfig();
        c.getCache().setSize("lots");

        assertEquals("prefetchd.cache.size: not a size: 'lots' (try 100GiB, 512MiB or a number of bytes)", failure(c));
    }

    @Test
    void cacheSize_belowTwoGrains_failsNamingTheSetting() {
        GatewayConfig c = new GatewayConfig();
        c.getCache().setSize("128KiB");

        assertEquals("prefetchd.cache.size must be at least two grains (262144 bytes), not 128KiB", failure(c));
    }

    @Test
    void grpcMaxOrderLength_zero_failsNamingTheSetting() {
        GatewayConfig c = new GatewayConfig();
        c.getGrpc().setMaxOrderLength(0);

        assertEquals("prefetchd.grpc.max-order-length must be at least 1, not 0", failure(c));
    }

    @Test
    void grpcTlsCertWithoutKey_failsBeforeAnythingStarts() {
        GatewayConfig c = new GatewayConfig();
        c.getGrpc().setTlsCert("/etc/prefetchd/hints.pem");

        assertEquals("prefetchd.grpc.tls-cert and prefetchd.grpc.tls-key go together", failure(c));
    }

    @Test
    void fleetTokenFile_isReadOnce_andTokenWithTokenFile_failsNamingBoth(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("fleet-token"), "s3cr3t-fleet-token-0001\n");
        GatewayConfig c = new GatewayConfig();
        c.getFleet().setMembers(List.of("127.0.0.1:5701"));
        c.getFleet().setTokenFile(file.toString());

        FleetSettings fleet = DaemonSettings.of(c).fleet();
        assertNotNull(fleet);
        assertEquals("s3cr3t-fleet-token-0001", fleet.token());

        c.getFleet().setToken("other");
        assertEquals("set prefetchd.fleet.token or prefetchd.fleet.token-file, not both", failure(c));
    }

    @Test
    void tracerRetention_notASize_failsNamingTheSetting() {
        GatewayConfig c = new GatewayConfig();
        c.getTracer().setRetention("forever");

        assertEquals("prefetchd.tracer.retention: not a size: 'forever' (try 100GiB, 512MiB or a number of bytes)",
                failure(c));
    }

    @Test
    void reportsKeepPerJob_zero_failsNamingTheSetting() {
        GatewayConfig c = new GatewayConfig();
        c.getReports().setKeepPerJob(0);

        assertEquals("prefetchd.reports.keep-per-job must be at least 1, not 0", failure(c));
    }

    @Test
    void datasets_withoutAFormat_failNamingTheSetting() {
        GatewayConfig c = new GatewayConfig();
        c.setDatasets(List.of("train"));

        assertEquals("prefetchd.datasets: dataset 'train' is not FORMAT:PATH with FORMAT one of "
                + io.prefetchd.gateway.datasets.DatasetKind.NAMES, failure(c));
    }

    @Test
    void s3Endpoint_notAUri_failsNamingTheGroup() {
        GatewayConfig.S3 s3 = new GatewayConfig.S3();
        s3.setBucket("b");
        s3.setEndpoint("http://bad host:9000");

        String message = assertThrows(StartupException.class, () -> DaemonSettings.s3(s3)).getMessage();
        assertEquals(true, message.startsWith("bad prefetchd.s3 setting: "), message);
    }

    @Test
    void aWrongSetting_failsTheStart_beforeAnythingIsOpened(@TempDir Path dir) {
        GatewayConfig c = new GatewayConfig();
        Path state = dir.resolve("state");
        c.setStateDir(state.toString());
        c.getS3().setBucket("bucket");
        c.getS3().setEndpoint("http://127.0.0.1:1");   // never asked: the settings fail first
        c.getS3Api().setPort(0);                       // an S3 endpoint without keys

        StartupException e = assertThrows(StartupException.class,
                () -> Assembly.start(c, new SimpleMeterRegistry(), Clock.systemUTC(), System::nanoTime));

        assertEquals(true, e.getMessage().contains("prefetchd.s3-api.access-key"), e.getMessage());
        assertFalse(Files.exists(state), "nothing was created: no report store, no cache, no S3 client");
    }
}
