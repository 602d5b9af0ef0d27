package io.prefetchd.gateway.s3;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.prefetchd.gateway.s3.ObjectStoreException.Kind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkServiceException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.metrics.CoreMetric;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.SdkEventLoopGroup;
import software.amazon.awssdk.metrics.MetricCollection;
import software.amazon.awssdk.metrics.MetricPublisher;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClientBuilder;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.EncodingType;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@link ObjectStore} on the AWS SDK v2 {@link S3AsyncClient} over the Netty NIO HTTP client.
 *
 * <h2>Ranged GETs</h2>
 * {@link #getRange}, the one request sent per sample, bypasses the S3 client's per-request pipeline: {@link RangedGets}
 * signs it with the SDK's SigV4 signer and sends it over the same HTTP client, with the same retry strategy and
 * timeouts, and reports failures as the SDK's exception types, which {@code translate} maps like every other
 * request's. HEAD, LIST and everything else go through the S3 client.
 *
 * <h2>Bounds, retries, timeouts</h2>
 * At most {@link S3Settings#maxConcurrency()} requests are in flight (the same number bounds Netty's
 * connection pool); up to {@link S3Settings#maxQueuedRequests()} more wait for a slot in a
 * {@link RequestLimiter}, and a request beyond that fails at once as {@link Kind#THROTTLED}: the queue is
 * explicit backpressure, not an unbounded buffer. Retries are the SDK's standard strategy with
 * {@link S3Settings#maxAttempts()} attempts: exponential backoff with jitter on 5xx, throttling (429,
 * 503 SlowDown), I/O errors and attempt timeouts. The whole call is bounded by
 * {@link S3Settings#apiCallTimeout()} and each attempt by {@link S3Settings#attemptTimeout()}; writes stretch
 * both by their size ({@link S3Writes}). Requests the store works on before it sends anything (completing a
 * multipart upload, copies) go through a second S3 client on the same event loops without a read timeout.
 *
 * <h2>Reachability</h2>
 * A {@link Reachability} circuit breaker watches every request: when S3 stops answering (refused connections,
 * timeouts, or requests waiting {@link S3Settings#readTimeout()} while nothing comes back), requests fail at once
 * as {@link Kind#UNREACHABLE} instead of each waiting out its retries, and a probe (a one-key LIST) runs every
 * {@value #PROBE_MILLIS} ms until S3 answers again.
 *
 * <h2>Writes</h2>
 * Uploads (one PUT, or a multipart upload with parallel parts), copies, deletes and user metadata are
 * {@link S3Writes}: its requests go through the same limiter, circuit breaker, metrics and translation.
 *
 * <h2>Errors</h2>
 * Every SDK (and local limiter) failure is turned into an {@link ObjectStoreException} by
 * {@code translate} and nowhere else.
 *
 * <h2>Metrics</h2>
 * {@code prefetchd.s3.requests{op,outcome}}, {@code prefetchd.s3.latency{op}} (from submission, so time
 * spent waiting for a slot counts), {@code prefetchd.s3.bytes} (GET payload bytes received),
 * {@code prefetchd.s3.retries} (retries sent, by the S3 client or by {@link RangedGets}).
 *
 * <p>Thread-safe: the SDK client is thread-safe, the limiter is synchronized, meters are thread-safe.
 */
public final class S3ObjectStore implements ObjectStore {
    private static final String GET = "get";
    private static final String HEAD = "head";
    private static final String LIST = "list";
    static final long PROBE_MILLIS = 1000;
    private static final long WATCHDOG_MILLIS = 250;
    /** Threads that complete GETs' futures (the cache writes the bytes on them): off the HTTP client's I/O threads. */
    private static final int COMPLETION_THREADS = 2;

    private final S3Settings settings;
    private final S3AsyncClient client;
    private final SdkAsyncHttpClient http;
    /** For requests the store works on before it answers (see {@link S3Writes}): no read timeout. */
    private final S3AsyncClient patientClient;
    private final SdkAsyncHttpClient patientHttp;
    private final RangedGets rangedGets;
    private final ScheduledExecutorService getTimer;
    private final ExecutorService getCompletions;
    private final SdkEventLoopGroup eventLoops;
    private final @Nullable AutoCloseable ownedCredentials;   // null: the caller owns the credentials
    private final RequestLimiter limiter;
    private final MeterRegistry registry;
    private final Counter bytesReceived;
    private final Duration blockingWait;
    private final Reachability reachability;
    private final ScheduledExecutorService watchdog;
    private final S3Writes writes;

    private S3ObjectStore(S3Settings settings, MeterRegistry registry, AwsCredentialsProvider credentials,
            @Nullable AutoCloseable ownedCredentials) {
        this.settings = settings;
        this.registry = registry;
        this.ownedCredentials = ownedCredentials;
        this.limiter = new RequestLimiter(settings.maxConcurrency(), settings.maxQueuedRequests());
        this.bytesReceived = Counter.builder("prefetchd.s3.bytes")
                .description("Payload bytes received by S3 GETs")
                .baseUnit("bytes")
                .register(registry);
        Counter retries = Counter.builder("prefetchd.s3.retries")
                .description("Requests the SDK retried (one per retry, not per call)")
                .register(registry);
        // the synchronous calls wait for the SDK's own deadline plus time queued behind other requests
        this.blockingWait = settings.apiCallTimeout().multipliedBy(2).plusSeconds(5);
        // our own event loops, so close() need not sit out Netty's default two-second quiet period
        this.eventLoops = SdkEventLoopGroup.builder().build();
        String endpoint = "s3://" + settings.bucket() + (settings.endpoint() == null ? "" : " at " + settings.endpoint());
        this.reachability = new Reachability(settings.bucket(), endpoint, settings.effectiveReadTimeout(),
                System::nanoTime);
        this.http = buildHttpClient(settings, eventLoops, settings.effectiveReadTimeout());
        this.patientHttp = buildHttpClient(settings, eventLoops, Duration.ZERO);
        RetryStrategy retryStrategy = AwsRetryStrategy.standardRetryStrategy().toBuilder()
                .maxAttempts(settings.maxAttempts())
                .build();
        this.client = buildClient(settings, credentials, http, retryStrategy, new RetryCounter(retries),
                new AnswerListener());
        this.patientClient = buildClient(settings, credentials, patientHttp, retryStrategy, new RetryCounter(retries),
                new AnswerListener());
        this.getTimer = Executors.newSingleThreadScheduledExecutor(daemonThreads("prefetchd-s3-timer"));
        this.getCompletions = Executors.newFixedThreadPool(COMPLETION_THREADS, daemonThreads("prefetchd-s3-response"));
        RangedGets.Target target = new RangedGets.Target(bucketUrl(client, settings.bucket()), signingRegion(client),
                credentials);
        this.rangedGets = new RangedGets(http, target, retryStrategy, settings.attemptTimeout(),
                settings.apiCallTimeout(), getTimer, getCompletions, new RangedGets.Listener() {
                    @Override
                    public void answered() {
                        reachability.answered();
                    }

                    @Override
                    public void retried() {
                        retries.increment();
                    }
                });
        this.writes = new S3Writes(client, patientClient, settings, this::call, reachability, registry,
                Clock.systemUTC());
        Gauge.builder("prefetchd.s3.reachable", reachability, r -> r.isOpen() ? 0 : 1)
                .description("1 while S3 answers, 0 while it is unreachable and requests fail fast")
                .register(registry);
        this.watchdog = Executors.newSingleThreadScheduledExecutor(daemonThreads("prefetchd-s3-watchdog"));
        watchdog.scheduleWithFixedDelay(this::watch, WATCHDOG_MILLIS, WATCHDOG_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Whether S3 answers, for {@code /status} and the file system's stale-if-error rule. */
    public Reachability reachability() {
        return reachability;
    }

    private long nextProbe;   // only touched by the watchdog thread

    private void watch() {
        reachability.check();
        if (!reachability.isOpen()) {
            return;
        }
        long now = System.nanoTime();
        if (now - nextProbe < 0) {
            return;
        }
        nextProbe = now + TimeUnit.MILLISECONDS.toNanos(PROBE_MILLIS);
        try {
            client.listObjectsV2(ListObjectsV2Request.builder().bucket(bucket()).maxKeys(1).build())
                    .get(settings.effectiveReadTimeout().toMillis(), TimeUnit.MILLISECONDS);
            reachability.probeSucceeded();
        } catch (ExecutionException e) {
            if (unwrap(e) instanceof SdkServiceException) {
                reachability.probeSucceeded();   // an error status is still an answer
            }
        } catch (TimeoutException e) {
            // still silent: probe again later
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // a client-side failure to send the probe: try again at the next tick
        }
    }

    /** Tells the breaker when S3 sent a response (headers), whatever its status. */
    private final class AnswerListener implements ExecutionInterceptor {
        @Override
        public void afterTransmission(Context.AfterTransmission context, ExecutionAttributes attributes) {
            reachability.answered();
        }
    }

    /**
     * A store for {@code settings.bucket()} with credentials from the SDK's default chain (environment,
     * system properties, profile files, web identity, container and instance metadata).
     */
    public static S3ObjectStore create(S3Settings settings, MeterRegistry registry) {
        requireNonNull(settings, "settings is null");
        requireNonNull(registry, "registry is null");
        DefaultCredentialsProvider credentials = DefaultCredentialsProvider.builder().build();
        return new S3ObjectStore(settings, registry, credentials, credentials);
    }

    /** For tests and the embedded server: explicit credentials, which stay owned by the caller. */
    public static S3ObjectStore create(S3Settings settings, MeterRegistry registry, AwsCredentialsProvider credentials) {
        requireNonNull(settings, "settings is null");
        requireNonNull(registry, "registry is null");
        requireNonNull(credentials, "credentials is null");
        return new S3ObjectStore(settings, registry, credentials, null);
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * An HTTP client on the store's event loops that fails an attempt after {@code readTimeout} of silence on its
     * connection ({@link Duration#ZERO}: never; the attempt timeout still bounds it).
     */
    private static SdkAsyncHttpClient buildHttpClient(S3Settings settings, SdkEventLoopGroup eventLoops,
            Duration readTimeout) {
        return NettyNioAsyncHttpClient.builder()
                .eventLoopGroup(eventLoops)
                .maxConcurrency(settings.maxConcurrency())
                // our limiter keeps at most maxConcurrency calls (and so attempts) in flight
                .maxPendingConnectionAcquires(settings.maxConcurrency() * 2)
                .connectionAcquisitionTimeout(settings.attemptTimeout())
                .connectionTimeout(settings.connectTimeout())
                // silence on a connection, not the length of a transfer: a dead endpoint fails in seconds
                .readTimeout(readTimeout)
                .build();
    }

    private static S3AsyncClient buildClient(S3Settings settings, AwsCredentialsProvider credentials,
            SdkAsyncHttpClient http, RetryStrategy retryStrategy, MetricPublisher retryCounter,
            ExecutionInterceptor answers) {
        S3AsyncClientBuilder builder = S3AsyncClient.builder()
                .httpClient(http)
                .credentialsProvider(credentials)
                .forcePathStyle(settings.pathStyle())
                .overrideConfiguration(o -> o
                        .retryStrategy(retryStrategy)
                        .apiCallTimeout(settings.apiCallTimeout())
                        .apiCallAttemptTimeout(settings.attemptTimeout())
                        .addMetricPublisher(retryCounter)
                        .addExecutionInterceptor(answers));
        if (settings.endpoint() != null) {
            builder.endpointOverride(settings.endpoint());
        }
        String region = settings.effectiveRegion();
        if (region != null) {
            builder.region(Region.of(region));
        }
        return builder.build();
    }

    /** The bucket's base URL with a trailing '/', as the S3 client addresses its objects (style, endpoint, region). */
    private static URI bucketUrl(S3AsyncClient client, String bucket) {
        String probe = "k";
        String url = client.utilities().getUrl(b -> b.bucket(bucket).key(probe)).toExternalForm();
        return URI.create(url.substring(0, url.length() - probe.length()));
    }

    private static String signingRegion(S3AsyncClient client) {
        return client.serviceClientConfiguration().region().id();
    }

    @Override
    public String bucket() {
        return settings.bucket();
    }

    S3Settings settings() {
        return settings;
    }

    @Override
    public Optional<ObjectMeta> head(String key) {
        requireNonNull(key, "key is null");
        HeadObjectRequest request = HeadObjectRequest.builder().bucket(bucket()).key(key).build();
        try {
            HeadObjectResponse r = await(call(HEAD, key, "HEAD", () -> client.headObject(request)), key, "HEAD");
            return Optional.of(meta(key, r.contentLength(), r.eTag(), r.lastModified(), "HEAD"));
        } catch (ObjectStoreException e) {
            if (e.kind() == Kind.NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public ListPage list(String prefix, @Nullable String delimiter, @Nullable String continuationToken, int maxKeys) {
        if (maxKeys < 1) {
            throw new IllegalArgumentException("maxKeys must be at least 1: " + maxKeys);
        }
        String p = prefix == null ? "" : prefix;
        ListObjectsV2Request.Builder request = ListObjectsV2Request.builder()
                .bucket(bucket())
                .prefix(p)
                .maxKeys(maxKeys)
                // keys may hold characters XML 1.0 cannot carry; the SDK decodes the response for us
                .encodingType(EncodingType.URL);
        if (delimiter != null && !delimiter.isEmpty()) {
            request.delimiter(delimiter);
        }
        if (continuationToken != null) {
            request.continuationToken(continuationToken);
        }
        ListObjectsV2Request built = request.build();
        String what = "LIST prefix=" + p + " delimiter=" + delimiter;
        ListObjectsV2Response r = await(call(LIST, p, what, () -> client.listObjectsV2(built)), p, what);
        List<ObjectMeta> objects = new ArrayList<>(r.contents().size());
        for (S3Object o : r.contents()) {
            objects.add(meta(o.key(), o.size(), o.eTag(), o.lastModified(), what));
        }
        List<String> prefixes = new ArrayList<>(r.commonPrefixes().size());
        for (CommonPrefix cp : r.commonPrefixes()) {
            prefixes.add(cp.prefix());
        }
        String next = Boolean.TRUE.equals(r.isTruncated()) ? r.nextContinuationToken() : null;
        return new ListPage(objects, prefixes, next);
    }

    @Override
    public CompletableFuture<byte[]> getRange(String key, String etag, long offset, int length) {
        requireNonNull(key, "key is null");
        requireNonNull(etag, "etag is null");
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("offset=" + offset + " length=" + length);
        }
        if (length == 0) {
            return CompletableFuture.completedFuture(new byte[0]);
        }
        String range = "bytes=" + offset + "-" + (offset + length - 1);
        Timer.Sample sample = Timer.start(registry);
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        try {
            reachability.admit(result, key, "GET " + range);
        } catch (ObjectStoreException e) {
            finish(GET, outcome(e.kind()), sample);
            return CompletableFuture.failedFuture(e);
        }
        limiter.submit(() -> rangedGets.get(key, quote(etag), offset, length))
                .whenComplete((bytes, failure) -> {
                    if (failure == null) {
                        bytesReceived.increment(bytes.length);
                        finish(GET, "ok", sample);
                        result.complete(bytes);
                    } else if (isRangeNotSatisfiable(failure)) {
                        // the range starts at or after the end of the object: nothing to read there
                        finish(GET, "ok", sample);
                        result.complete(new byte[0]);
                    } else {
                        ObjectStoreException e = translate(failure, key, "GET " + range + " If-Match " + etag);
                        finish(GET, outcome(e.kind()), sample);
                        result.completeExceptionally(observe(e));
                    }
                });
        return result;
    }

    @Override
    public CompletableFuture<ObjectMeta> upload(String key, Path file, Map<String, String> metadata, boolean ifNoneMatch,
            @Nullable String ifMatchEtag) {
        return writes.upload(key, file, metadata, ifNoneMatch, ifMatchEtag);
    }

    @Override
    public CompletableFuture<String> beginMultipart(String key, Map<String, String> metadata) {
        return writes.beginMultipart(key, metadata);
    }

    @Override
    public CompletableFuture<UploadedPart> uploadPart(String key, String uploadId, int number,
            java.nio.ByteBuffer data) {
        return writes.uploadPart(key, uploadId, number, data);
    }

    @Override
    public CompletableFuture<UploadedPart> uploadPart(String key, String uploadId, int number, Path file, long offset,
            long length) {
        return writes.uploadPart(key, uploadId, number, file, offset, length);
    }

    @Override
    public CompletableFuture<ObjectMeta> completeMultipart(String key, String uploadId, List<UploadedPart> parts,
            boolean ifNoneMatch, @Nullable String ifMatchEtag) {
        return writes.completeMultipart(key, uploadId, parts, ifNoneMatch, ifMatchEtag);
    }

    @Override
    public CompletableFuture<Void> abortMultipart(String key, String uploadId) {
        return writes.abortMultipart(key, uploadId);
    }

    @Override
    public Optional<Map<String, String>> userMetadata(String key) {
        return writes.userMetadata(key);
    }

    @Override
    public ObjectMeta copy(String fromKey, String etag, String toKey) {
        return writes.copy(fromKey, etag, toKey);
    }

    @Override
    public void delete(String key) {
        writes.delete(key);
    }

    @Override
    public boolean delete(String key, String etag) {
        return writes.delete(key, etag);
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
        rangedGets.close();
        getTimer.shutdownNow();
        client.close();
        patientClient.close();
        http.close();
        patientHttp.close();
        getCompletions.shutdown();
        // the client is closed, so no task can arrive: no quiet period needed
        eventLoops.eventLoopGroup().shutdownGracefully(0, 2, TimeUnit.SECONDS);
        if (ownedCredentials != null) {
            try {
                ownedCredentials.close();
            } catch (Exception e) {
                // closing a credentials provider only stops its refresh threads; nothing to report
            }
        }
    }

    /** Runs one limited, timed, counted asynchronous call; failures arrive translated. */
    private <T> CompletableFuture<T> call(String op, String key, String what, Supplier<CompletableFuture<T>> call) {
        return call(op, key, what, Duration.ZERO, call);
    }

    /**
     * Like {@link #call(String, String, String, Supplier)}, for a request the store may work on for up to
     * {@code patience} before it answers (the circuit breaker waits that long for it).
     */
    private <T> CompletableFuture<T> call(String op, String key, String what, Duration patience,
            Supplier<CompletableFuture<T>> call) {
        Timer.Sample sample = Timer.start(registry);
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            reachability.admit(result, key, what, patience);
        } catch (ObjectStoreException e) {
            finish(op, outcome(e.kind()), sample);
            throw e;
        }
        limiter.submit(call).whenComplete((value, failure) -> {
            if (failure == null) {
                finish(op, "ok", sample);
                result.complete(value);
            } else {
                ObjectStoreException e = translate(failure, key, what);
                finish(op, outcome(e.kind()), sample);
                result.completeExceptionally(observe(e));
            }
        });
        return result;
    }

    /** Feeds a failure to the breaker: no answer at all opens it. */
    private ObjectStoreException observe(ObjectStoreException e) {
        if (e.kind() == Kind.UNREACHABLE && !reachability.isOpen()) {
            reachability.failedWithoutAnswer(e.getMessage());
        }
        return e;
    }

    private <T> T await(CompletableFuture<T> future, String key, String what) {
        try {
            return future.get(blockingWait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            future.cancel(true);
            throw translate(e, key, what);
        } catch (ExecutionException | TimeoutException e) {
            future.cancel(true);
            throw translate(e, key, what);
        }
    }

    private void finish(String op, String outcome, Timer.Sample sample) {
        sample.stop(Timer.builder("prefetchd.s3.latency")
                .serviceLevelObjectives(io.prefetchd.gateway.LatencyBuckets.bounds())
                .description("S3 request latency, from submission (queueing included) to completion")
                .tag("op", op)
                .register(registry));
        Counter.builder("prefetchd.s3.requests")
                .description("S3 requests by operation and outcome")
                .tag("op", op)
                .tag("outcome", outcome)
                .register(registry)
                .increment();
    }

    private static String outcome(Kind kind) {
        return kind.name().toLowerCase(Locale.ROOT);
    }

    private static boolean isRangeNotSatisfiable(Throwable failure) {
        return unwrap(failure) instanceof SdkServiceException e && e.statusCode() == 416;
    }

    /**
     * The one place where SDK and transport failures become {@link ObjectStoreException}s.
     *
     * @param failure whatever the future or the SDK threw (wrappers are peeled off)
     * @param key the object key (or listing prefix) for the message
     * @param what the request, for the message
     */
    private ObjectStoreException translate(Throwable failure, String key, String what) {
        Throwable t = unwrap(failure);
        String bucket = bucket();
        if (t instanceof ObjectStoreException e) {
            return e;
        }
        if (t instanceof AwsServiceException e) {
            AwsErrorDetails details = e.awsErrorDetails();
            String code = details == null ? null : details.errorCode();
            int status = e.statusCode();
            Kind kind;
            if ("NoSuchBucket".equals(code)) {
                kind = Kind.IO; // a configuration error, not a missing file
            } else if ("NoSuchUpload".equals(code)) {
                kind = Kind.UNAVAILABLE; // a multipart upload vanished (aborted elsewhere): upload again
            } else if (status == 409 && "ConditionalRequestConflict".equals(code)) {
                kind = Kind.CHANGED; // a conditional write raced another write of the key
            } else if (status == 404 || "NoSuchKey".equals(code)) {
                kind = Kind.NOT_FOUND;
            } else if (status == 412 || "PreconditionFailed".equals(code)) {
                kind = Kind.CHANGED;
            } else if (status == 401 || status == 403) {
                kind = Kind.ACCESS_DENIED;
            } else if (e.isThrottlingException() || status == 429) {
                kind = Kind.THROTTLED;
            } else if (status >= 500 || "RequestTimeout".equals(code)) {
                kind = Kind.UNAVAILABLE;
            } else {
                kind = Kind.IO;
            }
            String detail = "HTTP " + status + (code == null ? "" : " " + code)
                    + (e.requestId() == null ? "" : " (request id " + e.requestId() + ")");
            return new ObjectStoreException(kind, bucket, key, what + " failed: " + detail, e);
        }
        if (t instanceof ApiCallTimeoutException || t instanceof ApiCallAttemptTimeoutException
                || hasCause(t, io.netty.handler.timeout.TimeoutException.class)) {
            // the SDK's attempt timeout, or Netty's read timeout (no byte for readTimeout): S3 did not answer
            return new ObjectStoreException(Kind.UNREACHABLE, bucket, key,
                    what + " timed out (no answer within " + settings.effectiveReadTimeout() + " per attempt, "
                    + settings.maxAttempts() + " attempts, api call timeout " + settings.apiCallTimeout() + ")", t);
        }
        if (t instanceof TimeoutException) {
            return new ObjectStoreException(Kind.UNAVAILABLE, bucket, key,
                    what + " got no answer within " + blockingWait, t);
        }
        if (t instanceof RejectedExecutionException) {
            return new ObjectStoreException(Kind.THROTTLED, bucket, key, what + " rejected: " + t.getMessage(), t);
        }
        if (t instanceof InterruptedException) {
            return new ObjectStoreException(Kind.UNAVAILABLE, bucket, key, what + " interrupted", t);
        }
        if (t instanceof SdkClientException && hasCause(t, IOException.class)
                || t instanceof IOException || t instanceof UncheckedIOException) {
            // refused, reset or timed-out connections: no answer from S3
            return new ObjectStoreException(Kind.UNREACHABLE, bucket, key,
                    what + " failed after " + settings.maxAttempts() + " attempts: " + t.getMessage(), t);
        }
        if (t instanceof SdkClientException && String.valueOf(t.getMessage()).contains("credentials")) {
            return new ObjectStoreException(Kind.ACCESS_DENIED, bucket, key, what + " failed: " + t.getMessage(), t);
        }
        return new ObjectStoreException(Kind.IO, bucket, key, what + " failed: " + t, t);
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    /** Metadata from a response; a response without a length is malformed (IO). */
    private ObjectMeta meta(String key, Long size, String etag, Instant lastModified, String what) {
        if (size == null) {
            throw new ObjectStoreException(Kind.IO, bucket(), key, what + " returned no size for the object");
        }
        return new ObjectMeta(key, size, unquote(etag), lastModified == null ? Instant.EPOCH : lastModified);
    }

    static String unquote(String etag) {
        if (etag == null) {
            return "";
        }
        if (etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")) {
            return etag.substring(1, etag.length() - 1);
        }
        return etag;
    }

    private static String quote(String etag) {
        return etag.startsWith("\"") ? etag : "\"" + etag + "\"";
    }

    /** Counts the retries the SDK reports for each finished call. */
    private static final class RetryCounter implements MetricPublisher {
        private final Counter retries;

        RetryCounter(Counter retries) {
            this.retries = retries;
        }

        @Override
        public void publish(MetricCollection metrics) {
            for (Integer n : metrics.metricValues(CoreMetric.RETRY_COUNT)) {
                if (n != null && n > 0) {
                    retries.increment(n);
                }
            }
        }

        @Override
        public void close() {
        }
    }
}
