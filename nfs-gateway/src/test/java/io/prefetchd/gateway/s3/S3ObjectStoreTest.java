package io.prefetchd.gateway.s3;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.s3.ObjectStoreException.Kind;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * {@link S3ObjectStore}'s request shape, retries and error translation, against a scripted HTTP server
 * (the JDK's) that answers what a misbehaving S3 would. The happy paths run against S3Proxy in
 * {@link S3ObjectStoreIT}.
 */
class S3ObjectStoreTest {
    private static final StaticCredentialsProvider CREDENTIALS =
            StaticCredentialsProvider.create(AwsBasicCredentials.create("id", "secret"));

    /** One scripted answer. */
    private record Reply(int status, String body, String contentRange, CountDownLatch holdUntil, long trickleMillis) {
        Reply(int status, String body, String contentRange, CountDownLatch holdUntil) {
            this(status, body, contentRange, holdUntil, 0);
        }

        static Reply ok(String body, String contentRange) {
            return new Reply(206, body, contentRange, null);
        }

        /** The body one byte at a time, {@code millis} apart: a slow transfer that never goes silent. */
        static Reply trickle(String body, long millis) {
            return new Reply(206, body, "bytes 0-" + (body.length() - 1) + "/" + body.length(), null, millis);
        }

        static Reply error(int status, String code) {
            String xml = code == null ? null
                    : "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code
                    + "</Code><Message>scripted</Message><RequestId>req-1</RequestId></Error>";
            return new Reply(status, xml, null, null);
        }

        static Reply hold(CountDownLatch latch) {
            return new Reply(206, "x", "bytes 0-0/1", latch);
        }
    }

    private HttpServer server;
    private ExecutorService serverThreads;
    private final ConcurrentLinkedDeque<Reply> script = new ConcurrentLinkedDeque<>();
    private final AtomicReference<Reply> whenScriptEmpty = new AtomicReference<>();
    private final List<HttpExchange> requests = Collections.synchronizedList(new ArrayList<>());
    private final List<CountDownLatch> latches = new ArrayList<>();
    private SimpleMeterRegistry registry;

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        serverThreads = Executors.newCachedThreadPool();
        server.setExecutor(serverThreads);
        server.createContext("/", this::answer);
        server.start();
        registry = new SimpleMeterRegistry();
    }

    @AfterEach
    void stopServer() {
        latches.forEach(CountDownLatch::countDown);
        server.stop(0);
        serverThreads.shutdownNow();
    }

    private void answer(HttpExchange exchange) throws IOException {
        requests.add(exchange);
        exchange.getRequestBody().readAllBytes();
        Reply reply = script.pollFirst();
        if (reply == null) {
            reply = whenScriptEmpty.get();
        }
        if (reply == null) {
            reply = Reply.error(500, "InternalError");
        }
        if (reply.holdUntil() != null) {
            try {
                reply.holdUntil().await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (reply.contentRange() != null) {
            exchange.getResponseHeaders().add("Content-Range", reply.contentRange());
            exchange.getResponseHeaders().add("ETag", "\"abc\"");
        }
        if (reply.body() == null || "HEAD".equals(exchange.getRequestMethod())) {
            exchange.sendResponseHeaders(reply.status(), -1);
        } else {
            byte[] body = reply.body().getBytes(UTF_8);
            exchange.getResponseHeaders().add("Content-Type",
                    reply.contentRange() != null ? "application/octet-stream" : "application/xml");
            exchange.sendResponseHeaders(reply.status(), body.length);
            if (reply.trickleMillis() > 0) {
                for (byte b : body) {
                    exchange.getResponseBody().write(b);
                    exchange.getResponseBody().flush();
                    try {
                        Thread.sleep(reply.trickleMillis());   // the server pacing its bytes, not test synchronisation
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            } else {
                exchange.getResponseBody().write(body);
            }
        }
        exchange.close();
    }

    private S3ObjectStore store(int maxConcurrency, int maxAttempts, Duration apiCallTimeout) {
        URI endpoint = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        S3Settings settings = new S3Settings(endpoint, null, "test-bucket", true, maxConcurrency, maxAttempts, apiCallTimeout,
                S3Settings.DEFAULT_CONNECT_TIMEOUT, S3Settings.DEFAULT_READ_TIMEOUT);
        return S3ObjectStore.create(settings, registry, CREDENTIALS);
    }

    private S3ObjectStore store(int maxAttempts) {
        return store(4, maxAttempts, Duration.ofSeconds(20));
    }

    private double requestCount(String op, String outcome) {
        return registry.get("prefetchd.s3.requests").tags("op", op, "outcome", outcome).counter().count();
    }

    @Test
    void getRange_sendsByteRangeAndQuotedIfMatch() throws Exception {
        script.add(Reply.ok("hello", "bytes 10-14/100"));
        try (S3ObjectStore store = store(1)) {
            byte[] bytes = store.getRange("dir/key.bin", "abc", 10, 5).get(10, TimeUnit.SECONDS);

            assertArrayEquals("hello".getBytes(UTF_8), bytes);
            HttpExchange request = requests.get(0);
            assertEquals("GET", request.getRequestMethod());
            assertEquals("/test-bucket/dir/key.bin", request.getRequestURI().getPath());
            assertEquals("bytes=10-14", request.getRequestHeaders().getFirst("Range"));
            assertEquals("\"abc\"", request.getRequestHeaders().getFirst("If-Match"));
            assertEquals(5.0, registry.get("prefetchd.s3.bytes").counter().count());
        }
    }

    @Test
    void getRange_keyWithSpacesAndUnicode_isSentPercentEncodedWithSlashesKept() throws Exception {
        script.add(Reply.ok("hello", "bytes 0-4/5"));
        try (S3ObjectStore store = store(1)) {
            store.getRange("dir one/\u00e9+x.bin", "abc", 0, 5).get(10, TimeUnit.SECONDS);

            assertEquals("/test-bucket/dir%20one/%C3%A9%2Bx.bin", requests.get(0).getRequestURI().getRawPath());
        }
    }

    @Test
    void getRange_signsWithSigV4ForTheRegionAndS3() throws Exception {
        script.add(Reply.ok("hello", "bytes 0-4/5"));
        try (S3ObjectStore store = store(1)) {
            store.getRange("k", "abc", 0, 5).get(10, TimeUnit.SECONDS);

            String auth = requests.get(0).getRequestHeaders().getFirst("Authorization");
            assertTrue(auth.startsWith("AWS4-HMAC-SHA256 Credential=id/"), auth);
            assertTrue(auth.contains("/us-east-1/s3/aws4_request"), auth);
            assertTrue(auth.contains("SignedHeaders=") && auth.contains("if-match") && auth.contains("range"), auth);
        }
    }

    @Test
    void getRange_oneAfterAnother_reuseOneConnection() throws Exception {
        whenScriptEmpty.set(Reply.ok("hello", "bytes 0-4/5"));
        try (S3ObjectStore store = store(1)) {
            for (int i = 0; i < 10; i++) {
                store.getRange("k", "abc", 0, 5).get(10, TimeUnit.SECONDS);
            }

            // a GET's future completes before its connection is back in the pool, so on a loaded machine the next GET
            // may open a second one; a GET that closed its connection would make ten
            long connections = requests.stream().map(r -> r.getRemoteAddress().getPort()).distinct().count();
            assertTrue(connections <= 3, "ten GETs one after another opened " + connections + " connections");
        }
    }

    @Test
    void close_failsTheGetsStillInProgress() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        latches.add(never);
        whenScriptEmpty.set(Reply.hold(never));
        S3ObjectStore store = store(4, 4, Duration.ofSeconds(60));
        CompletableFuture<byte[]> pending = store.getRange("k", "abc", 0, 1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (requests.isEmpty()) { // the GET has reached the server
            assertTrue(System.nanoTime() < deadline, "the GET never reached the server");
            Thread.onSpinWait();
        }

        store.close();

        ExecutionException e = assertThrows(ExecutionException.class, () -> pending.get(10, TimeUnit.SECONDS));
        assertInstanceOf(ObjectStoreException.class, e.getCause());
    }

    @Test
    void getRange_serverIgnoringTheRange_keepsOnlyTheRangeAsked() throws Exception {
        script.add(new Reply(200, "0123456789", null, null));
        try (S3ObjectStore store = store(1)) {
            assertArrayEquals("3456".getBytes(UTF_8), store.getRange("k", "abc", 3, 4).get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void getRange_rangeStartingPastTheEnd_isEmpty() throws Exception {
        script.add(Reply.error(416, "InvalidRange"));
        try (S3ObjectStore store = store(4)) {
            assertArrayEquals(new byte[0], store.getRange("k", "abc", 100, 5).get(10, TimeUnit.SECONDS));
            assertEquals(1, requests.size());
        }
    }

    @Test
    void getRange_errorMessage_carriesStatusCodeAndRequestId() {
        script.add(Reply.error(403, "AccessDenied"));
        try (S3ObjectStore store = store(1)) {
            ObjectStoreException e = ObjectStoreContract.failure(store.getRange("k", "abc", 0, 5));

            assertTrue(e.getMessage().contains("HTTP 403 AccessDenied (request id req-1)"), e.getMessage());
        }
    }

    @Test
    void getRange_slowDownTwiceThenOk_retriesAndCountsRetries() throws Exception {
        script.add(Reply.error(503, "SlowDown"));
        script.add(Reply.error(503, "SlowDown"));
        script.add(Reply.ok("hello", "bytes 0-4/5"));
        try (S3ObjectStore store = store(4)) {
            byte[] bytes = store.getRange("k", "abc", 0, 5).get(20, TimeUnit.SECONDS);

            assertArrayEquals("hello".getBytes(UTF_8), bytes);
            assertEquals(3, requests.size());
            assertEquals(1.0, requestCount("get", "ok"));
        }
        // the SDK publishes call metrics when the call completes; closing the client flushes nothing more
        assertEquals(2.0, registry.get("prefetchd.s3.retries").counter().count());
    }

    @Test
    void getRange_slowDownOnEveryAttempt_isThrottledAfterMaxAttempts() {
        whenScriptEmpty.set(Reply.error(503, "SlowDown"));
        try (S3ObjectStore store = store(2)) {
            ObjectStoreException e = ObjectStoreContract.failure(store.getRange("k", "abc", 0, 5));

            assertEquals(Kind.THROTTLED, e.kind());
            assertTrue(e.kind().isRetryable());
            assertEquals(2, requests.size());
            assertEquals(1.0, requestCount("get", "throttled"));
        }
    }

    @Test
    void getRange_internalErrorOnEveryAttempt_isUnavailableAfterMaxAttempts() {
        whenScriptEmpty.set(Reply.error(500, "InternalError"));
        try (S3ObjectStore store = store(3)) {
            ObjectStoreException e = ObjectStoreContract.failure(store.getRange("k", "abc", 0, 5));

            assertEquals(Kind.UNAVAILABLE, e.kind());
            assertEquals(3, requests.size());
            assertTrue(e.getMessage().contains("s3://test-bucket/k"), e.getMessage());
            assertTrue(e.getMessage().contains("500"), e.getMessage());
        }
    }

    @Test
    void getRange_forbidden_isAccessDeniedWithoutRetry() {
        script.add(Reply.error(403, "AccessDenied"));
        try (S3ObjectStore store = store(4)) {
            assertEquals(Kind.ACCESS_DENIED, ObjectStoreContract.failure(store.getRange("k", "abc", 0, 5)).kind());
            assertEquals(1, requests.size());
        }
    }

    @Test
    void getRange_preconditionFailed_isChanged() {
        script.add(Reply.error(412, "PreconditionFailed"));
        try (S3ObjectStore store = store(4)) {
            assertEquals(Kind.CHANGED, ObjectStoreContract.failure(store.getRange("k", "abc", 0, 5)).kind());
            assertEquals(1, requests.size());
        }
    }

    @Test
    void getRange_noSuchKey_isNotFound() {
        script.add(Reply.error(404, "NoSuchKey"));
        try (S3ObjectStore store = store(4)) {
            assertEquals(Kind.NOT_FOUND, ObjectStoreContract.failure(store.getRange("k", "abc", 0, 5)).kind());
        }
    }

    @Test
    void head_notFoundWithoutBody_isEmpty() {
        script.add(Reply.error(404, null));
        try (S3ObjectStore store = store(4)) {
            assertEquals(Optional.empty(), store.head("k"));
            assertEquals("HEAD", requests.get(0).getRequestMethod());
            assertEquals(1.0, requestCount("head", "not_found"));
        }
    }

    @Test
    void list_noSuchBucket_isIoNotNotFound() {
        script.add(Reply.error(404, "NoSuchBucket"));
        try (S3ObjectStore store = store(4)) {
            ObjectStoreException e = assertThrows(ObjectStoreException.class, () -> store.list("p/", "/", null, 10));

            assertEquals(Kind.IO, e.kind());
            assertTrue(e.getMessage().contains("NoSuchBucket"), e.getMessage());
        }
    }

    @Test
    void getRange_noAnswerWithinTimeout_isUnreachable() {
        CountDownLatch never = new CountDownLatch(1);
        latches.add(never);
        whenScriptEmpty.set(Reply.hold(never));
        try (S3ObjectStore store = store(4, 2, Duration.ofSeconds(2))) {
            ObjectStoreException e = ObjectStoreContract.failure(store.getRange("k", "abc", 0, 1));

            assertEquals(Kind.UNREACHABLE, e.kind());
            assertTrue(e.getMessage().contains("answer"), e.getMessage());
        }
    }

    @Test
    void getRange_slowTransferLongerThanTheReadTimeout_isNotTakenForAnUnreachableS3() {
        whenScriptEmpty.set(Reply.trickle("slowly", 300));   // 1.8 s of body, a byte every 0.3 s
        URI endpoint = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        S3Settings settings = new S3Settings(endpoint, null, "test-bucket", true, 4, 1, Duration.ofSeconds(20),
                S3Settings.DEFAULT_CONNECT_TIMEOUT, Duration.ofSeconds(1));
        try (S3ObjectStore store = S3ObjectStore.create(settings, registry, CREDENTIALS)) {
            assertArrayEquals("slowly".getBytes(UTF_8), store.getRange("k", "abc", 0, 6).join());
            assertTrue(store.reachability().state().reachable());
        }
    }

    @Test
    void getRange_afterS3StoppedAnswering_failsFastWithoutSending() {
        CountDownLatch never = new CountDownLatch(1);
        latches.add(never);
        whenScriptEmpty.set(Reply.hold(never));
        try (S3ObjectStore store = store(4, 1, Duration.ofSeconds(1))) {
            ObjectStoreContract.failure(store.getRange("k", "abc", 0, 1));
            int sent = requests.size();

            ObjectStoreException e = ObjectStoreContract.failure(store.getRange("k2", "abc", 0, 1));

            assertEquals(Kind.UNREACHABLE, e.kind());
            assertTrue(e.getMessage().contains("not sent"), e.getMessage());
            assertTrue(requests.stream().noneMatch(r -> r.getRequestURI().getPath().endsWith("/k2")),
                    "k2 reached the server");
            assertTrue(requests.stream().skip(sent).allMatch(r -> r.getRequestURI().getPath().endsWith("/test-bucket")
                    || r.getRequestURI().getPath().endsWith("/test-bucket/")), "only probes (LIST) may follow");
            assertFalse(store.reachability().state().reachable());
        }
    }

    @Test
    void getRange_connectionRefused_isUnavailable() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        S3Settings settings = new S3Settings(URI.create("http://127.0.0.1:" + closedPort), null, "test-bucket",
                true, 4, 2, Duration.ofSeconds(10), S3Settings.DEFAULT_CONNECT_TIMEOUT, S3Settings.DEFAULT_READ_TIMEOUT);
        try (S3ObjectStore store = S3ObjectStore.create(settings, registry, CREDENTIALS)) {
            assertEquals(Kind.UNREACHABLE, ObjectStoreContract.failure(store.getRange("k", "abc", 0, 1)).kind());
        }
    }

    @Test
    void getRange_beyondConcurrencyAndQueue_isThrottledAtOnce() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        latches.add(release);
        whenScriptEmpty.set(Reply.hold(release));
        try (S3ObjectStore store = store(1, 1, Duration.ofSeconds(20))) {
            int admitted = 1 + store.settings().maxQueuedRequests();
            List<CompletableFuture<byte[]>> futures = new ArrayList<>();
            for (int i = 0; i < admitted; i++) {
                futures.add(store.getRange("k", "abc", 0, 1));
            }

            CompletableFuture<byte[]> rejected = store.getRange("k", "abc", 0, 1);

            assertTrue(rejected.isDone(), "a request beyond the bounds must fail at once");
            assertEquals(Kind.THROTTLED, ObjectStoreContract.failure(rejected).kind());
            release.countDown();
            for (CompletableFuture<byte[]> f : futures) {
                assertArrayEquals(new byte[] {'x'}, f.get(20, TimeUnit.SECONDS));
            }
        }
    }
}
