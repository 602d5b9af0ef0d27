package io.prefetchd.gateway.daemon;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.micronaut.context.ApplicationContext;
import io.prefetchd.gateway.BearerToken;
import io.prefetchd.gateway.hints.HintServer;
import io.prefetchd.planner.proto.EpochRef;
import io.prefetchd.planner.proto.HintsGrpc;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.gateway.testing.SelfSignedCert;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The admin HTTP API as operators use it, on a daemon over S3Proxy: bearer token, open probes, /metrics open by
 * choice, build info and latency histograms, HTTPS with a certificate made at test time, the dated log file.
 */
class HttpApiIT {
    private static final String BUCKET = "http-it";
    private static final String TOKEN = "t0ken-for-tests";
    private static S3ProxyFixture s3;
    @TempDir
    static Path work;

    @BeforeAll
    static void start() throws IOException {
        s3 = S3ProxyFixture.start();
        s3.createBucket(BUCKET);
        s3.put(BUCKET, "hello.txt", "hello\n".getBytes(StandardCharsets.UTF_8));
    }

    @AfterAll
    static void stop() {
        if (s3 != null) {
            s3.close();
        }
    }

    private static Map<String, Object> props(String name) {
        Map<String, Object> p = s3.daemonProperties(BUCKET, work.resolve(name));
        p.put("micronaut.server.host", "127.0.0.1");
        return p;
    }

    private static HttpResponse<String> get(HttpClient client, String url, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** /ready turns 200 once the background probe's first listing came back; S3Proxy answers at once. */
    private static HttpResponse<String> awaitReady(HttpClient client, String base) throws Exception {
        Instant deadline = Instant.now().plusSeconds(20);
        HttpResponse<String> r = get(client, base + "/ready", null);
        while (r.statusCode() != 200 && Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
            r = get(client, base + "/ready", null);
        }
        return r;
    }

    @Test
    void token_guardsStatusAndReports_probesAndChosenMetricsStayOpen() throws Exception {
        Map<String, Object> p = props("open-metrics");
        p.put("prefetchd.http.token", TOKEN);
        p.put("prefetchd.http.metrics-open", true);
        try (ApplicationContext d = Daemon.start(p)) {
            String base = "http://127.0.0.1:" + Daemon.httpPort(d);
            HttpClient c = HttpClient.newHttpClient();
            for (String path : new String[] {"/status", "/api/reports", "/reports"}) {
                HttpResponse<String> none = get(c, base + path, null);
                assertEquals(401, none.statusCode(), path);
                assertEquals("Bearer realm=\"prefetchd\"", none.headers().firstValue("WWW-Authenticate").orElse(""));
                assertEquals(401, get(c, base + path, "wrong").statusCode(), path);
                assertEquals(200, get(c, base + path, TOKEN).statusCode(), path);
            }
            assertEquals("ok\n", get(c, base + "/health", null).body());
            HttpResponse<String> ready = awaitReady(c, base);
            assertEquals(200, ready.statusCode(), ready.body());
            HttpResponse<String> metrics = get(c, base + "/metrics", null);
            assertEquals(200, metrics.statusCode());
            assertTrue(Pattern.compile("(?m)^prefetchd_build_info\\{commit=\"([0-9a-f]{12}|unknown)\",version=\""
                    + "0\\.1\\.0-SNAPSHOT\"} 1(\\.0)?$").matcher(metrics.body()).find(), "build info in\n" + metrics.body());
            assertTrue(metrics.body().contains("prefetchd_s3_latency_seconds_bucket{op=\"list\",le=\"0.1\"}"),
                    "S3 latency histogram (the readiness probe's listing)");
        }
    }

    @Test
    void token_metricsNeedItTooByDefault() throws Exception {
        Map<String, Object> p = props("closed-metrics");
        p.put("prefetchd.http.token", TOKEN);
        try (ApplicationContext d = Daemon.start(p)) {
            String base = "http://127.0.0.1:" + Daemon.httpPort(d);
            HttpClient c = HttpClient.newHttpClient();
            assertEquals(401, get(c, base + "/metrics", null).statusCode());
            assertEquals(200, get(c, base + "/metrics", TOKEN).statusCode());
        }
    }

    @Test
    void tokenFile_isRead_andAMissingOneFailsTheStart() throws Exception {
        Path file = Files.writeString(work.resolve("token"), TOKEN + "\n");
        Map<String, Object> p = props("token-file");
        p.put("prefetchd.http.token-file", file.toString());
        try (ApplicationContext d = Daemon.start(p)) {
            String base = "http://127.0.0.1:" + Daemon.httpPort(d);
            HttpClient c = HttpClient.newHttpClient();
            assertEquals(401, get(c, base + "/status", null).statusCode());
            assertEquals(200, get(c, base + "/status", TOKEN).statusCode());
        }
        Map<String, Object> q = props("token-file-missing");
        q.put("prefetchd.http.token-file", work.resolve("nope").toString());
        var e = assertThrows(RuntimeException.class, () -> Daemon.start(q).close());
        assertTrue(Main.oneLine(e).contains("prefetchd.http.token-file"), Main.oneLine(e));
        assertFalse(Main.oneLine(e).contains(TOKEN));
    }

    @Test
    void hintApiTokenFile_isRead_andAMissingOneFailsTheStart() throws Exception {
        Path file = Files.writeString(work.resolve("grpc-token"), TOKEN + "\n");
        Map<String, Object> p = props("grpc-token-file");
        p.put("prefetchd.grpc.port", 0);
        p.put("prefetchd.grpc.token-file", file.toString());
        try (ApplicationContext d = Daemon.start(p)) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", d.getBean(HintServer.class).port())
                    .usePlaintext().build();
            try {
                for (String token : new String[] {null, "wrong", TOKEN}) {
                    Metadata m = new Metadata();
                    if (token != null) {
                        m.put(BearerToken.AUTHORIZATION, "Bearer " + token);
                    }
                    HintsGrpc.HintsBlockingStub stub = HintsGrpc.newBlockingStub(channel)
                            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(m));
                    Status.Code code = Status.Code.OK;
                    try {
                        stub.getEpochStatus(EpochRef.newBuilder().setDatasetId("ds-none").setJob("j").build());
                    } catch (StatusRuntimeException e) {
                        code = e.getStatus().getCode();
                    }
                    if (TOKEN.equals(token)) {
                        assertNotEquals(Status.Code.UNAUTHENTICATED, code, "the token of the file is accepted");
                    } else {
                        assertEquals(Status.Code.UNAUTHENTICATED, code, "token " + token);
                    }
                }
            } finally {
                channel.shutdownNow();
            }
        }
        Map<String, Object> q = props("grpc-token-file-missing");
        q.put("prefetchd.grpc.port", 0);
        q.put("prefetchd.grpc.token-file", work.resolve("nope").toString());
        var e = assertThrows(RuntimeException.class, () -> Daemon.start(q).close());
        assertTrue(Main.oneLine(e).contains("prefetchd.grpc.token-file"), Main.oneLine(e));
    }

    @Test
    void https_withPemCertificateAndKey_servesTlsOnTheHttpPort() throws Exception {
        SelfSignedCert cert = SelfSignedCert.create(work.resolve("tls"));
        Map<String, Object> p = props("https");
        p.put("prefetchd.http.tls-cert", cert.cert().toString());
        p.put("prefetchd.http.tls-key", cert.key().toString());
        try (ApplicationContext d = Daemon.start(p)) {
            int port = Daemon.httpPort(d);
            HttpClient tls = HttpClient.newBuilder().sslContext(cert.sslContext()).build();
            HttpResponse<String> r = get(tls, "https://127.0.0.1:" + port + "/health", null);
            assertEquals(200, r.statusCode());
            assertEquals("ok\n", r.body());
            assertThrows(IOException.class, () -> get(HttpClient.newHttpClient(), "http://127.0.0.1:" + port
                    + "/health", null), "plain HTTP on the HTTPS port");
        }
    }

    @Test
    void logFile_getsDatedLinesFromTheStart() throws Exception {
        Path log = work.resolve("logs/prefetchd.log");
        Map<String, Object> p = props("log-file");
        p.put("prefetchd.log.file", log.toString());
        try (ApplicationContext d = Daemon.start(p)) {
            String text = Files.readString(log);
            assertTrue(Pattern.compile("(?m)^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z INFO  \\[[^]]+] "
                    + "\\S+ - serving s3://" + BUCKET + "/").matcher(text).find(), text);
        } finally {
            LogFiles.detach();
        }
    }
}
