package io.prefetchd.gateway.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micronaut.context.ApplicationContext;
import io.prefetchd.planner.units.Sizes;
import io.prefetchd.gateway.cache.DiskExtentCache;
import io.prefetchd.gateway.nfs.v4.NfsLimits;
import io.prefetchd.gateway.s3.S3Settings;
import io.prefetchd.gateway.s3.UploadSettings;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Pins every default of {@link GatewayConfig} and the property names they bind from: both are documented in
 * docs/CONFIGURATION.md, so changing one here means changing the doc too. As in airlift's config tests, the
 * defaults are compared as a whole: a new setting without its default in this test fails it.
 */
class GatewayConfigTest {

    @Test
    void defaults_areTheDocumentedOnes_forEverySetting() {
        GatewayConfig c = new GatewayConfig();

        assertEquals(Map.of("stateDir", "./prefetchd-state", "bind", "0.0.0.0", "datasets", List.of()), settings(c));
        assertEquals(Map.ofEntries(
                Map.entry("endpoint", ""),
                Map.entry("region", ""),
                Map.entry("bucket", ""),
                Map.entry("prefix", ""),
                Map.entry("pathStyle", false),
                Map.entry("accessKey", ""),
                Map.entry("secretKey", ""),
                Map.entry("maxConcurrency", 128),
                Map.entry("maxAttempts", 4),
                Map.entry("apiCallTimeout", Duration.ofSeconds(30)),
                Map.entry("connectTimeout", Duration.ofSeconds(2)),
                Map.entry("readTimeout", Duration.ofSeconds(5)),
                Map.entry("uploadConcurrency", 16)), settings(c.getS3()));
        assertEquals(Map.of(
                "dir", "",
                "size", "10GiB",
                "grain", 128 * 1024), settings(c.getCache()));
        assertEquals(Map.of(
                "enabled", false,
                "stagingDir", "",
                "stagingSize", "10GiB",
                "uploadDelay", Duration.ofSeconds(1),
                "commitQuiet", Duration.ofSeconds(30),
                "maxRenameKeys", 10_000,
                "uploadConcurrency", 4,
                "streamingPartSize", "16MiB",
                "directIo", true), settings(c.getWrite()));
        assertEquals(Map.ofEntries(
                Map.entry("bind", "0.0.0.0"),
                Map.entry("port", 2049),
                Map.entry("workers", 32),
                Map.entry("leaseTime", Duration.ofSeconds(60)),
                Map.entry("attributeTtl", Duration.ofSeconds(30)),
                Map.entry("datasetRefresh", Duration.ofMinutes(5)),
                Map.entry("maxStale", Duration.ofHours(24)),
                Map.entry("listingCacheSize", "256MiB"),
                Map.entry("maxRead", 1024 * 1024),
                Map.entry("maxRecordSize", 1024 * 1024 + 128 * 1024),
                Map.entry("idleTimeout", Duration.ofMinutes(5))), settings(c.getNfs()));
        assertEquals(Map.of(
                "enabled", true,
                "retention", "10GiB",
                "flushInterval", Duration.ofSeconds(1),
                "idleGap", Duration.ofSeconds(60)), settings(c.getTracer()));
        assertEquals(Map.of(
                "enabled", true,
                "cacheShare", 0.99,
                "maxPrefetches", 96,
                "maxPrefetchBytes", "256MiB",
                "storeLatency", Duration.ofMillis(40),
                "storeBandwidth", "200MiB",
                "readRate", "200MiB",
                "idleGap", Duration.ofSeconds(30),
                "jobGrace", Duration.ofSeconds(30)), settings(c.getPlanner()));
        assertEquals(Map.of(
                "enabled", true,
                "bind", "0.0.0.0",
                "port", 50051,
                "token", "",
                "tokenFile", "",
                "maxMessageSize", 4 << 20,
                "maxOrderLength", 100_000_000,
                "tlsCert", "",
                "tlsKey", ""), settings(c.getGrpc()));
        assertEquals(Map.of(
                "exports", List.of("* rw root-squash"),
                "uid", 0,
                "gid", 0,
                "fileMode", "",
                "dirMode", ""), settings(c.getAccess()));
        assertEquals(Map.of(
                "token", "",
                "tokenFile", "",
                "metricsOpen", false,
                "tlsCert", "",
                "tlsKey", ""), settings(c.getHttp()));
        assertEquals(Map.of(
                "file", "",
                "maxFileSize", "100MiB",
                "maxTotalSize", "2GiB",
                "maxHistory", 14), settings(c.getLog()));
        assertEquals(Map.of(
                "keepPerJob", 50,
                "maxReports", 2000), settings(c.getReports()));
    }

    @Test
    void defaults_agreeWithTheComponentsTheyConfigure() {
        GatewayConfig c = new GatewayConfig();

        assertEquals(S3Settings.DEFAULT_MAX_CONCURRENCY, c.getS3().getMaxConcurrency());
        assertEquals(S3Settings.DEFAULT_MAX_ATTEMPTS, c.getS3().getMaxAttempts());
        assertEquals(S3Settings.DEFAULT_API_CALL_TIMEOUT, c.getS3().getApiCallTimeout());
        assertEquals(UploadSettings.DEFAULT_CONCURRENCY, c.getS3().getUploadConcurrency());
        assertEquals(DiskExtentCache.DEFAULT_GRAIN_BYTES, c.getCache().getGrain());
        assertEquals(NfsLimits.defaults().maxRead(), c.getNfs().getMaxRead());
        assertEquals(10L << 30, Sizes.parse(c.getCache().getSize()));
    }

    @Test
    void nfsConnectionLimits_idleTimeoutBelowTheLease_orATinyRecordCap_areStartupErrors() {
        GatewayConfig.Nfs n = new GatewayConfig.Nfs();
        DaemonSettings.checkNfs(n);
        n.setIdleTimeout(Duration.ofSeconds(30));
        StartupException idle = assertThrows(StartupException.class, () -> DaemonSettings.checkNfs(n));
        assertTrue(idle.getMessage().contains("prefetchd.nfs.idle-timeout"), idle.getMessage());
        n.setIdleTimeout(Duration.ofMinutes(5));
        n.setMaxRecordSize(4096);
        StartupException record = assertThrows(StartupException.class, () -> DaemonSettings.checkNfs(n));
        assertTrue(record.getMessage().contains("prefetchd.nfs.max-record-size"), record.getMessage());
    }

    @Test
    void everySetting_bindsFromItsDocumentedPropertyName() {
        Map<String, Object> p = new TreeMap<>();
        p.put("prefetchd.gateway.enabled", "false");
        p.put("prefetchd.state-dir", "/var/lib/prefetchd");
        p.put("prefetchd.bind", "192.168.1.9");
        p.put("prefetchd.datasets", "webdataset:train,imagefolder:images/train");
        p.put("prefetchd.s3.endpoint", "http://minio:9000");
        p.put("prefetchd.s3.region", "eu-west-1");
        p.put("prefetchd.s3.bucket", "datasets");
        p.put("prefetchd.s3.prefix", "imagenet/");
        p.put("prefetchd.s3.path-style", "true");
        p.put("prefetchd.s3.access-key", "AK");
        p.put("prefetchd.s3.secret-key", "SK");
        p.put("prefetchd.s3.max-concurrency", "128");
        p.put("prefetchd.s3.max-attempts", "6");
        p.put("prefetchd.s3.api-call-timeout", "45s");
        p.put("prefetchd.s3.connect-timeout", "3s");
        p.put("prefetchd.s3.read-timeout", "8s");
        p.put("prefetchd.s3.upload-concurrency", "32");
        p.put("prefetchd.cache.dir", "/nvme/cache");
        p.put("prefetchd.cache.size", "500GiB");
        p.put("prefetchd.cache.grain", "65536");
        p.put("prefetchd.write.enabled", "true");
        p.put("prefetchd.write.staging-dir", "/nvme/staging");
        p.put("prefetchd.write.staging-size", "50GiB");
        p.put("prefetchd.write.upload-delay", "2s");
        p.put("prefetchd.write.commit-quiet", "1m");
        p.put("prefetchd.write.max-rename-keys", "500");
        p.put("prefetchd.write.upload-concurrency", "8");
        p.put("prefetchd.write.streaming-part-size", "32MiB");
        p.put("prefetchd.write.direct-io", "false");
        p.put("prefetchd.nfs.bind", "10.0.0.5");
        p.put("prefetchd.nfs.port", "20490");
        p.put("prefetchd.nfs.workers", "64");
        p.put("prefetchd.nfs.lease-time", "90s");
        p.put("prefetchd.nfs.attribute-ttl", "5m");
        p.put("prefetchd.nfs.dataset-refresh", "10m");
        p.put("prefetchd.nfs.max-stale", "48h");
        p.put("prefetchd.nfs.listing-cache-size", "64MiB");
        p.put("prefetchd.nfs.max-read", "262144");
        p.put("prefetchd.nfs.max-record-size", "2097152");
        p.put("prefetchd.nfs.idle-timeout", "10m");
        p.put("prefetchd.grpc.enabled", "false");
        p.put("prefetchd.grpc.bind", "10.0.0.6");
        p.put("prefetchd.grpc.port", "50052");
        p.put("prefetchd.grpc.token", "t0k");
        p.put("prefetchd.grpc.token-file", "/run/secrets/grpc-token");
        p.put("prefetchd.grpc.max-message-size", "1048576");
        p.put("prefetchd.grpc.max-order-length", "1000");
        p.put("prefetchd.grpc.tls-cert", "/etc/prefetchd/grpc.crt");
        p.put("prefetchd.grpc.tls-key", "/etc/prefetchd/grpc.key");
        p.put("prefetchd.access.exports", "10.0.0.0/8 rw no-squash,fd00::/8");
        p.put("prefetchd.access.uid", "1000");
        p.put("prefetchd.access.gid", "100");
        p.put("prefetchd.access.file-mode", "0440");
        p.put("prefetchd.access.dir-mode", "0550");
        p.put("prefetchd.http.token", "h7k");
        p.put("prefetchd.http.token-file", "/run/secrets/token");
        p.put("prefetchd.http.metrics-open", "true");
        p.put("prefetchd.http.tls-cert", "/etc/prefetchd/http.crt");
        p.put("prefetchd.http.tls-key", "/etc/prefetchd/http.key");
        p.put("prefetchd.log.file", "/var/log/prefetchd/prefetchd.log");
        p.put("prefetchd.log.max-file-size", "10MiB");
        p.put("prefetchd.log.max-total-size", "100MiB");
        p.put("prefetchd.log.max-history", "3");
        p.put("prefetchd.reports.keep-per-job", "7");
        p.put("prefetchd.reports.max-reports", "70");

        GatewayConfig c;
        try (ApplicationContext ctx = ApplicationContext.builder().properties(p).deduceEnvironment(false).banner(false)
                .start()) {
            assertFalse(ctx.containsBean(Gateway.class), "prefetchd.gateway.enabled=false must keep the gateway off");
            c = ctx.getBean(GatewayConfig.class);
        }

        assertEquals(Map.of("stateDir", "/var/lib/prefetchd", "bind", "192.168.1.9",
                "datasets", List.of("webdataset:train", "imagefolder:images/train")), settings(c));
        assertEquals(Map.ofEntries(
                Map.entry("endpoint", "http://minio:9000"),
                Map.entry("region", "eu-west-1"),
                Map.entry("bucket", "datasets"),
                Map.entry("prefix", "imagenet/"),
                Map.entry("pathStyle", true),
                Map.entry("accessKey", "AK"),
                Map.entry("secretKey", "SK"),
                Map.entry("maxConcurrency", 128),
                Map.entry("maxAttempts", 6),
                Map.entry("apiCallTimeout", Duration.ofSeconds(45)),
                Map.entry("connectTimeout", Duration.ofSeconds(3)),
                Map.entry("readTimeout", Duration.ofSeconds(8)),
                Map.entry("uploadConcurrency", 32)), settings(c.getS3()));
        assertEquals(Map.of(
                "dir", "/nvme/cache",
                "size", "500GiB",
                "grain", 65536), settings(c.getCache()));
        assertEquals(Map.of(
                "enabled", true,
                "stagingDir", "/nvme/staging",
                "stagingSize", "50GiB",
                "uploadDelay", Duration.ofSeconds(2),
                "commitQuiet", Duration.ofMinutes(1),
                "maxRenameKeys", 500,
                "uploadConcurrency", 8,
                "streamingPartSize", "32MiB",
                "directIo", false), settings(c.getWrite()));
        assertEquals(Map.ofEntries(
                Map.entry("bind", "10.0.0.5"),
                Map.entry("port", 20490),
                Map.entry("workers", 64),
                Map.entry("leaseTime", Duration.ofSeconds(90)),
                Map.entry("attributeTtl", Duration.ofMinutes(5)),
                Map.entry("datasetRefresh", Duration.ofMinutes(10)),
                Map.entry("maxStale", Duration.ofHours(48)),
                Map.entry("listingCacheSize", "64MiB"),
                Map.entry("maxRead", 262144),
                Map.entry("maxRecordSize", 2097152),
                Map.entry("idleTimeout", Duration.ofMinutes(10))), settings(c.getNfs()));
        assertEquals(Map.of(
                "enabled", false,
                "bind", "10.0.0.6",
                "port", 50052,
                "token", "t0k",
                "tokenFile", "/run/secrets/grpc-token",
                "maxMessageSize", 1048576,
                "maxOrderLength", 1000,
                "tlsCert", "/etc/prefetchd/grpc.crt",
                "tlsKey", "/etc/prefetchd/grpc.key"), settings(c.getGrpc()));
        assertEquals(Map.of(
                "exports", List.of("10.0.0.0/8 rw no-squash", "fd00::/8"),
                "uid", 1000,
                "gid", 100,
                "fileMode", "0440",
                "dirMode", "0550"), settings(c.getAccess()));
        assertEquals(Map.of(
                "token", "h7k",
                "tokenFile", "/run/secrets/token",
                "metricsOpen", true,
                "tlsCert", "/etc/prefetchd/http.crt",
                "tlsKey", "/etc/prefetchd/http.key"), settings(c.getHttp()));
        assertEquals(Map.of(
                "file", "/var/log/prefetchd/prefetchd.log",
                "maxFileSize", "10MiB",
                "maxTotalSize", "100MiB",
                "maxHistory", 3), settings(c.getLog()));
        assertEquals(Map.of("keepPerJob", 7, "maxReports", 70), settings(c.getReports()));
    }

    /** The addresses as the daemon resolves them (application.yml): each listener follows prefetchd.bind. */
    private static List<String> listenerAddresses(Map<String, Object> p) {
        Map<String, Object> all = new TreeMap<>(p);
        all.put("prefetchd.gateway.enabled", "false");
        try (ApplicationContext ctx = ApplicationContext.builder().properties(all).deduceEnvironment(false)
                .banner(false).start()) {
            GatewayConfig c = ctx.getBean(GatewayConfig.class);
            return List.of(c.getNfs().getBind(), c.getGrpc().getBind(),
                    ctx.getProperty("micronaut.server.host", String.class).orElseThrow());
        }
    }

    @Test
    void listeners_byDefault_allBindEveryInterface() {
        assertEquals(List.of("0.0.0.0", "0.0.0.0", "0.0.0.0"), listenerAddresses(Map.of()));
    }

    @Test
    void listeners_followBind_unlessTheirOwnAddressIsSet() {
        assertEquals(List.of("10.1.2.3", "10.1.2.3", "10.1.2.3"),
                listenerAddresses(Map.of("prefetchd.bind", "10.1.2.3")));
        assertEquals(List.of("10.1.2.3", "127.0.0.1", "10.1.2.3"),
                listenerAddresses(Map.of("prefetchd.bind", "10.1.2.3", "prefetchd.grpc.bind", "127.0.0.1")));
        assertEquals(List.of("10.9.9.9", "10.1.2.3", "127.0.0.1"), listenerAddresses(Map.of("prefetchd.bind",
                "10.1.2.3", "prefetchd.nfs.bind", "10.9.9.9", "micronaut.server.host", "127.0.0.1")));
    }

    @Test
    void s3Api_offByDefault_bindsFromItsPropertyNames_andFollowsBind() {
        assertEquals(Map.of("enabled", false, "port", -1, "bind", "0.0.0.0", "accessKey", "", "secretKey", "",
                "virtualHost", ""), settings(new GatewayConfig().getS3Api()));
        Map<String, Object> p = new TreeMap<>();
        p.put("prefetchd.gateway.enabled", "false");
        p.put("prefetchd.bind", "10.1.2.3");
        p.put("prefetchd.s3-api.port", "9000");
        p.put("prefetchd.s3-api.access-key", "AK");
        p.put("prefetchd.s3-api.secret-key", "SK");
        p.put("prefetchd.s3-api.virtual-host", "s3.gateway.local");
        try (ApplicationContext ctx = ApplicationContext.builder().properties(p).deduceEnvironment(false).banner(false)
                .start()) {
            assertEquals(Map.of("enabled", true, "port", 9000, "bind", "10.1.2.3", "accessKey", "AK",
                    "secretKey", "SK", "virtualHost", "s3.gateway.local"),
                    settings(ctx.getBean(GatewayConfig.class).getS3Api()));
        }
    }

    @Test
    void fleet_offByDefault_bindsFromItsPropertyNames_andFollowsBind() {
        assertEquals(Map.of("name", "prefetchd", "bind", "0.0.0.0", "port", 5701, "members", List.of(),
                "peerPort", 0, "peerTimeout", Duration.ofSeconds(5), "failureTimeout", Duration.ofSeconds(10),
                "handoverWindow", Duration.ofHours(1), "token", "", "tokenFile", ""),
                settings(new GatewayConfig().getFleet()));
        Map<String, Object> p = new TreeMap<>();
        p.put("prefetchd.gateway.enabled", "false");
        p.put("prefetchd.bind", "10.1.2.3");
        p.put("prefetchd.fleet.name", "train");
        p.put("prefetchd.fleet.port", "5801");
        p.put("prefetchd.fleet.members", "10.1.2.3:5801,10.1.2.4:5801");
        p.put("prefetchd.fleet.peer-port", "5802");
        p.put("prefetchd.fleet.peer-timeout", "2s");
        p.put("prefetchd.fleet.failure-timeout", "30s");
        p.put("prefetchd.fleet.handover-window", "20m");
        p.put("prefetchd.fleet.token-file", "/run/secrets/fleet-token");
        try (ApplicationContext ctx = ApplicationContext.builder().properties(p).deduceEnvironment(false).banner(false)
                .start()) {
            assertEquals(Map.of("name", "train", "bind", "10.1.2.3", "port", 5801,
                    "members", List.of("10.1.2.3:5801", "10.1.2.4:5801"), "peerPort", 5802,
                    "peerTimeout", Duration.ofSeconds(2), "failureTimeout", Duration.ofSeconds(30),
                    "handoverWindow", Duration.ofMinutes(20), "token", "", "tokenFile", "/run/secrets/fleet-token"),
                    settings(ctx.getBean(GatewayConfig.class).getFleet()));
        }
    }

    @Test
    void parse_binaryUnits_areMultiplesOf1024() {
        assertEquals(4096, Sizes.parse("4KiB"));
        assertEquals(512L << 20, Sizes.parse("512MiB"));
        assertEquals(100L << 30, Sizes.parse("100GiB"));
        assertEquals(2L << 40, Sizes.parse("2TiB"));
        assertEquals(1L << 50, Sizes.parse("1PiB"));
    }

    @Test
    void parse_shortAndDecimalLookingUnits_areStillBinary() {
        assertEquals(10L << 30, Sizes.parse("10G"));
        assertEquals(10L << 30, Sizes.parse("10GB"));
        assertEquals(10L << 30, Sizes.parse("10gib"));
        assertEquals(64L << 10, Sizes.parse("64k"));
    }

    @Test
    void parse_plainNumbers_areBytes_andSpacesAreAllowed() {
        assertEquals(1_048_576, Sizes.parse("1048576"));
        assertEquals(42, Sizes.parse("42B"));
        assertEquals(10L << 30, Sizes.parse(" 10 GiB "));
        assertEquals(0, Sizes.parse("0"));
    }

    @Test
    void parse_fractions_areScaledThenTruncatedToWholeBytes() {
        assertEquals(3L << 29, Sizes.parse("1.5GiB"));
        assertEquals(512, Sizes.parse("0.5KiB"));
    }

    @Test
    void parse_notASize_failsWithAMessageNamingTheInputAndTheExpectedForm() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parse("ten gigs"));
        assertEquals("not a size: 'ten gigs' (try 100GiB, 512MiB or a number of bytes)", e.getMessage());

        for (String bad : new String[] {"", "GiB", "-1GiB", "10XB", "1e9", "1,5GiB", "10 GiB free"}) {
            assertThrows(IllegalArgumentException.class, () -> Sizes.parse(bad), "'" + bad + "' must be refused");
        }
    }

    @Test
    void format_usesBinaryUnitsWithOneDecimal_andPlainBytesBelow1KiB() {
        assertEquals("0 B", Sizes.format(0));
        assertEquals("1023 B", Sizes.format(1023));
        assertEquals("1.0 KiB", Sizes.format(1024));
        assertEquals("1.5 KiB", Sizes.format(1536));
        assertEquals("1.5 MiB", Sizes.format(3L << 19));
        assertEquals("10.0 GiB", Sizes.format(10L << 30));
        assertEquals("3.0 PiB", Sizes.format(3L << 50));
        assertEquals("5120.0 PiB", Sizes.format(5L << 60));
    }

    @Test
    void format_ofParse_roundTripsWholeUnits() {
        for (String s : new String[] {"1.0 KiB", "512.0 MiB", "10.0 GiB", "2.0 TiB"}) {
            assertEquals(s, Sizes.format(Sizes.parse(s)));
        }
    }

    /**
     * Every setting of one config class by its bean name (getter without get/is), leaving out the nested groups,
     * so that a new setting shows up here and must be given its default in the test.
     */
    private static Map<String, Object> settings(Object config) {
        Map<String, Object> values = new TreeMap<>();
        for (Method m : config.getClass().getDeclaredMethods()) {
            String name = m.getName();
            boolean getter = (name.startsWith("get") && name.length() > 3)
                    || (name.startsWith("is") && name.length() > 2 && m.getReturnType() == boolean.class);
            if (!getter || m.getParameterCount() != 0 || !Modifier.isPublic(m.getModifiers())
                    || m.getReturnType().getEnclosingClass() == GatewayConfig.class) {
                continue;
            }
            String bare = name.substring(name.startsWith("get") ? 3 : 2);
            try {
                values.put(Character.toLowerCase(bare.charAt(0)) + bare.substring(1), m.invoke(config));
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new AssertionError("cannot read " + name, e);
            }
        }
        return values;
    }
}
