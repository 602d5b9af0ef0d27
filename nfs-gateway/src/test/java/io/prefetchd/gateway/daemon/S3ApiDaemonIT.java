package io.prefetchd.gateway.daemon;

import io.micronaut.context.ApplicationContext;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.gateway.s3api.S3ApiServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The daemon starts the S3 endpoint with the gateway when a port is set, and says why when it cannot. */
class S3ApiDaemonIT {

    @Test
    void portSet_endpointServesTheExportAsTheBackendBucket_andStopsWithTheDaemon(@TempDir Path state)
            throws Exception {
        try (S3ProxyFixture s3 = S3ProxyFixture.start()) {
            s3.createBucket("daemon-bucket");
            s3.put("daemon-bucket", "train/a.txt", "hello".getBytes(StandardCharsets.UTF_8));
            Map<String, Object> p = s3.daemonProperties("daemon-bucket", state);
            p.put("prefetchd.s3-api.port", 0);
            p.put("prefetchd.s3-api.access-key", "AK");
            p.put("prefetchd.s3-api.secret-key", "SK-secret");
            int port;
            try (ApplicationContext ctx = Daemon.start(p)) {
                S3ApiServer api = ctx.getBean(S3ApiServer.class);
                Assembly assembly = ctx.getBean(Assembly.class);
                assertSame(assembly.s3Api().orElseThrow(), api, "Micronaut hands out the assembly's parts");
                assertSame(assembly.gateway().orElseThrow(), ctx.getBean(Gateway.class));
                assertSame(assembly.reports(), ctx.getBean(io.prefetchd.gateway.reports.ReportStore.class));
                port = api.port();
                try (S3Client c = S3Client.builder().endpointOverride(URI.create("http://127.0.0.1:" + port))
                        .forcePathStyle(true).region(Region.US_EAST_1).credentialsProvider(
                                StaticCredentialsProvider.create(AwsBasicCredentials.create("AK", "SK-secret")))
                        .build()) {
                    assertEquals("hello", c.getObjectAsBytes(b -> b.bucket("daemon-bucket").key("train/a.txt"))
                            .asUtf8String());
                }
                String status = ctx.getBean(MetricsController.class).status();
                assertTrue(status.contains("s3 api      port " + port + ", bucket daemon-bucket (read-only)"), status);
                assertTrue(ctx.getBean(MetricsController.class).metrics()
                        .contains("prefetchd_s3api_requests_total{op=\"get\",status=\"200\"} 1.0"));
            }
            assertThrows(java.io.IOException.class, () -> new java.net.Socket("127.0.0.1", port).close(),
                    "the endpoint stops with the daemon");
        }
    }

    @Test
    void noPort_noEndpoint(@TempDir Path state) {
        try (S3ProxyFixture s3 = S3ProxyFixture.start()) {
            s3.createBucket("daemon-bucket");
            try (ApplicationContext ctx = Daemon.start(s3.daemonProperties("daemon-bucket", state))) {
                assertFalse(ctx.containsBean(S3ApiServer.class));
                assertTrue(ctx.getBean(MetricsController.class).status().contains("s3 api      off"));
            }
        }
    }

    @Test
    void portWithoutKeys_startupErrorNamingTheSettings(@TempDir Path state) {
        try (S3ProxyFixture s3 = S3ProxyFixture.start()) {
            s3.createBucket("daemon-bucket");
            Map<String, Object> p = s3.daemonProperties("daemon-bucket", state);
            p.put("prefetchd.s3-api.port", 0);
            RuntimeException e = assertThrows(RuntimeException.class, () -> Daemon.start(p).close());
            String message = Main.oneLine(e);
            assertTrue(message.contains("prefetchd.s3-api.access-key"), message);
        }
    }
}
