package io.prefetchd.gateway.s3;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.http.async.AsyncExecuteRequest;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.async.SdkAsyncHttpResponseHandler;
import software.amazon.awssdk.http.async.SdkHttpContentPublisher;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.retries.api.AcquireInitialTokenRequest;
import software.amazon.awssdk.retries.api.RecordSuccessRequest;
import software.amazon.awssdk.retries.api.RefreshRetryTokenRequest;
import software.amazon.awssdk.retries.api.RefreshRetryTokenResponse;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.retries.api.RetryToken;
import software.amazon.awssdk.retries.api.TokenAcquisitionFailedException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.utils.http.SdkHttpUtils;
import org.jspecify.annotations.Nullable;

/**
 * Ranged, conditional GETs of one bucket, sent over the SDK's HTTP client without the S3 client's per-request
 * pipeline.
 *
 * <h2>Why not {@code S3AsyncClient.getObject}</h2>
 * A prefetching gateway of small samples sends one GET per sample, hundreds per second. Through the S3 client each
 * GET builds and copies a request model, resolves an endpoint and an auth scheme from rules, runs a dozen
 * interceptors, marshals, signs, unmarshals the response headers into a model and sets up checksum validation
 * (which ranged GETs never get anyway): profiled on two cores at ~300 GETs/s, that pipeline was about half of the
 * gateway's CPU. A ranged GET needs little of it: the object's URL (the bucket's base URL, resolved once by the S3
 * client, plus the key), four headers, a SigV4 signature ({@link AwsV4HttpSigner}, the SDK's own signer) and the
 * body into one array of the length the response announces.
 *
 * <h2>What stays the same</h2>
 * Failures come out as the SDK's own exception types ({@link S3Exception} with the status, error code and request
 * id of the response; {@link SdkClientException} over the I/O failure; {@link ApiCallAttemptTimeoutException};
 * {@link ApiCallTimeoutException}), so the store translates them in its one place as before. Retries are decided by
 * the same {@link RetryStrategy} instance the S3 client uses (same conditions, backoff and retry quota), attempts
 * are bounded by {@link S3Settings#attemptTimeout()} and the call by {@link S3Settings#apiCallTimeout()}, and the
 * HTTP client (connection pool, connect and read timeouts) is the one the S3 client sends its other requests over.
 *
 * <p>Thread-safe: every GET is its own state machine; the collaborators are thread-safe.
 */
final class RangedGets {
    /** SigV4 hash of an empty payload: a GET has none. */
    private static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    /** Error bodies are small XML documents; keep at most this much of one. */
    private static final int MAX_ERROR_BODY = 16 * 1024;
    private static final Pattern CODE = Pattern.compile("<Code>([^<]*)</Code>");
    private static final Pattern MESSAGE = Pattern.compile("<Message>([^<]*)</Message>");
    private static final Pattern REQUEST_ID = Pattern.compile("<RequestId>([^<]*)</RequestId>");

    /** What the GETs need besides the HTTP client: all resolved once, when the store is built. */
    record Target(URI bucketUrl, String region, AwsCredentialsProvider credentials) {
        Target {
            requireNonNull(bucketUrl, "bucketUrl is null");
            requireNonNull(region, "region is null");
            requireNonNull(credentials, "credentials is null");
            if (!bucketUrl.getRawPath().endsWith("/")) {
                throw new IllegalArgumentException("bucketUrl must end with '/': " + bucketUrl);
            }
        }
    }

    /** What the store learns of each GET: S3 answered (headers or body bytes), a retry was sent. */
    interface Listener {
        void answered();

        void retried();
    }

    private final SdkAsyncHttpClient http;
    private final Target target;
    private final AwsV4HttpSigner signer = AwsV4HttpSigner.create();
    private final RetryStrategy retries;
    private final Duration attemptTimeout;
    private final Duration apiCallTimeout;
    private final ScheduledExecutorService timer;
    private final Executor completions;
    private final Listener listener;
    /** Calls not over yet, so that {@link #close} can fail them (a pending retry or deadline would not run). */
    private final Set<Call> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /**
     * @param http the HTTP client (not closed here)
     * @param retries decides whether and when a failed attempt is tried again
     * @param timer runs the attempt and call deadlines and the retry delays; it must only hand work off
     * @param completions completes the callers' futures, so that their continuations never run on the HTTP
     *     client's I/O threads
     */
    RangedGets(SdkAsyncHttpClient http, Target target, RetryStrategy retries, Duration attemptTimeout,
               Duration apiCallTimeout, ScheduledExecutorService timer, Executor completions, Listener listener) {
        this.http = requireNonNull(http, "http is null");
        this.target = requireNonNull(target, "target is null");
        this.retries = requireNonNull(retries, "retries is null");
        this.attemptTimeout = requireNonNull(attemptTimeout, "attemptTimeout is null");
        this.apiCallTimeout = requireNonNull(apiCallTimeout, "apiCallTimeout is null");
        this.timer = requireNonNull(timer, "timer is null");
        this.completions = requireNonNull(completions, "completions is null");
        this.listener = requireNonNull(listener, "listener is null");
    }

    /**
     * GETs {@code [offset, offset + length)} of {@code key} if it still has ETag {@code quotedEtag}.
     *
     * @param length at least 1
     * @return the bytes (fewer than {@code length} where the object ends first), or a failure as the SDK's
     *     exception types; HTTP 416 (the range starts past the end) is an {@link S3Exception} with status 416
     */
    CompletableFuture<byte[]> get(String key, String quotedEtag, long offset, int length) {
        Call call = new Call(key, quotedEtag, offset, length);
        open.add(call);
        if (closed) {
            call.fail(SdkClientException.create("the object store is closed"));
        } else {
            call.start();
        }
        return call.result;
    }

    /** Fails every GET not over yet; the owner then stops the timer and the HTTP client. */
    void close() {
        closed = true;
        for (Call call : open) {
            call.fail(SdkClientException.create("the object store was closed while GET " + call.range
                    + " was in progress"));
        }
    }

    /** One GET with its retries. */
    private final class Call {
        final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private final String key;
        private final String quotedEtag;
        private final long offset;
        private final int length;
        private final String range;
        private @Nullable RetryToken token;                  // guarded by this
        private @Nullable CompletableFuture<Void> attempt;   // guarded by this: the HTTP exchange in progress
        private @Nullable ScheduledFuture<?> callDeadline;   // guarded by this
        private boolean over;                      // guarded by this: succeeded or failed, whatever comes later

        Call(String key, String quotedEtag, long offset, int length) {
            this.key = key;
            this.quotedEtag = quotedEtag;
            this.offset = offset;
            this.length = length;
            this.range = "bytes=" + offset + "-" + (offset + length - 1);
        }

        void start() {
            try {
                synchronized (this) {
                    token = retries.acquireInitialToken(AcquireInitialTokenRequest.create("s3")).token();
                    callDeadline = timer.schedule(() -> fail(ApiCallTimeoutException.create(apiCallTimeout.toMillis())),
                            apiCallTimeout.toMillis(), TimeUnit.MILLISECONDS);
                }
                send();
            } catch (RuntimeException e) {
                fail(e);
            }
        }

        /** Sends one attempt. */
        private void send() {
            synchronized (this) {
                if (over) {
                    return;
                }
            }
            Attempt a = new Attempt(this);
            SdkHttpRequest request;
            try {
                request = sign(key, quotedEtag, range);
            } catch (RuntimeException e) {
                fail(SdkClientException.create("could not sign GET " + range + ": " + e.getMessage(), e));
                return;
            }
            CompletableFuture<Void> exchange;
            synchronized (this) {
                if (over) {
                    return;
                }
                exchange = http.execute(AsyncExecuteRequest.builder()
                        .request(request)
                        .requestContentPublisher(NoBody.INSTANCE)
                        .responseHandler(a)
                        .build());
                attempt = exchange;
            }
            ScheduledFuture<?> deadline = timer.schedule(
                    () -> a.fail(ApiCallAttemptTimeoutException.create(attemptTimeout.toMillis())),
                    attemptTimeout.toMillis(), TimeUnit.MILLISECONDS);
            exchange.whenComplete((ok, failure) -> {
                if (failure != null) {
                    a.fail(failure);
                }
            });
            a.done.whenComplete((bytes, failure) -> {
                deadline.cancel(false);
                if (failure == null) {
                    // the body is complete: the HTTP client returns the connection to its pool by itself
                    succeed(bytes);
                } else {
                    if (!(failure instanceof S3Exception)) { // an error document read to its end leaves it usable
                        exchange.cancel(true); // closes the connection unless the exchange already ended
                    }
                    retryOrFail(failure);
                }
            });
        }

        private void retryOrFail(Throwable failure) {
            RefreshRetryTokenResponse next;
            synchronized (this) {
                if (over) {
                    return;
                }
                try {
                    next = retries.refreshRetryToken(RefreshRetryTokenRequest.builder().token(token).failure(failure)
                            .build());
                } catch (TokenAcquisitionFailedException e) {
                    next = null;
                }
                if (next != null) {
                    token = next.token();
                }
            }
            if (next == null) {
                fail(failure);
                return;
            }
            listener.retried();
            try {
                timer.schedule(this::send, next.delay().toNanos(), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                fail(failure); // the store is closing
            }
        }

        private void succeed(byte[] bytes) {
            RetryToken t;
            synchronized (this) {
                if (over) {
                    return;
                }
                over = true;
                t = token;
                open.remove(this);
                if (callDeadline != null) {
                    callDeadline.cancel(false);
                }
            }
            retries.recordSuccess(RecordSuccessRequest.create(t));
            complete(() -> result.complete(bytes));
        }

        private void fail(Throwable failure) {
            CompletableFuture<Void> inProgress;
            synchronized (this) {
                if (over) {
                    return;
                }
                over = true;
                inProgress = attempt;
                open.remove(this);
                if (callDeadline != null) {
                    callDeadline.cancel(false);
                }
            }
            complete(() -> result.completeExceptionally(failure));
            if (inProgress != null) {
                inProgress.cancel(true);
            }
        }

        private void complete(Runnable completion) {
            try {
                completions.execute(completion);
            } catch (RejectedExecutionException e) {
                completion.run(); // closing: complete on this thread rather than never
            }
        }
    }

    /** Builds and signs the request. */
    private SdkHttpRequest sign(String key, String quotedEtag, String range) {
        URI base = target.bucketUrl();
        SdkHttpRequest unsigned = SdkHttpRequest.builder()
                .method(SdkHttpMethod.GET)
                .protocol(base.getScheme())
                .host(base.getHost())
                .port(base.getPort())
                .encodedPath(base.getRawPath() + SdkHttpUtils.urlEncodeIgnoreSlashes(key))
                .putHeader("Range", range)
                .putHeader("If-Match", quotedEtag)
                .putHeader("x-amz-content-sha256", EMPTY_SHA256)
                .build();
        return signer.sign(r -> r
                        .identity(target.credentials().resolveCredentials())
                        .request(unsigned)
                        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
                        .putProperty(AwsV4HttpSigner.REGION_NAME, target.region())
                        // S3 signs the path as sent: no double encoding, no dot-segment removal
                        .putProperty(AwsV4FamilyHttpSigner.DOUBLE_URL_ENCODE, false)
                        .putProperty(AwsV4FamilyHttpSigner.NORMALIZE_PATH, false))
                .request();
    }

    /**
     * One HTTP exchange: the response's headers, then its body into one array (a 2xx) or into an error document
     * (anything else). {@link #done} completes once, with the bytes or the failure.
     */
    private final class Attempt implements SdkAsyncHttpResponseHandler, Subscriber<ByteBuffer> {
        final CompletableFuture<byte[]> done = new CompletableFuture<>();
        private final Call call;
        private final AtomicBoolean finished = new AtomicBoolean();
        private volatile @Nullable Subscription subscription;   // set once the body starts
        private @Nullable SdkHttpResponse response;            // set once the headers arrive
        private byte @Nullable [] body;
        private int filled;
        /** Bytes of the object before {@code body[0]} in a 200 answer: a server that ignored the range. */
        private long skip;

        Attempt(Call call) {
            this.call = call;
        }

        @Override
        public void onHeaders(SdkHttpResponse headers) {
            listener.answered();
            response = headers;
            if (headers.isSuccessful()) {
                long announced = contentLength(headers);
                if (headers.statusCode() == 200 && call.offset > 0) {
                    skip = call.offset; // the whole object: keep only the range asked for
                }
                long keep = announced < 0 ? call.length : Math.min(call.length, Math.max(0, announced - skip));
                body = new byte[(int) keep];
            } else {
                body = new byte[MAX_ERROR_BODY];
            }
        }

        @Override
        public void onStream(Publisher<ByteBuffer> stream) {
            stream.subscribe(this);
        }

        /** Both the handler's and the body subscriber's {@code onError}: the exchange failed. */
        @Override
        public void onError(Throwable error) {
            fail(error);
        }

        @Override
        public void onSubscribe(Subscription s) {
            subscription = s;
            if (finished.get()) {
                s.cancel();
            } else {
                s.request(Long.MAX_VALUE);
            }
        }

        @Override
        public void onNext(ByteBuffer chunk) {
            listener.answered();
            if (skip > 0) {
                int drop = (int) Math.min(skip, chunk.remaining());
                chunk.position(chunk.position() + drop);
                skip -= drop;
            }
            byte[] into = requireNonNull(body, "the body follows the headers");
            int n = Math.min(chunk.remaining(), into.length - filled);
            chunk.get(into, filled, n);
            filled += n;
        }

        @Override
        public void onComplete() {
            SdkHttpResponse response = requireNonNull(this.response, "the body follows the headers");
            byte[] body = requireNonNull(this.body, "the body follows the headers");
            if (response.isSuccessful()) {
                if (filled < body.length && contentLength(response) >= 0) {
                    fail(new IOException("response body ended after " + filled + " of " + body.length + " bytes"));
                } else {
                    finish(filled == body.length ? body : java.util.Arrays.copyOf(body, filled));
                }
            } else {
                fail(serviceError(response, new String(body, 0, filled, StandardCharsets.UTF_8)));
            }
        }

        void fail(Throwable failure) {
            Throwable t = failure;
            if (t instanceof CancellationException) {
                return; // our own cancel of a finished exchange
            }
            if (t instanceof IOException || t.getCause() instanceof IOException) {
                t = SdkClientException.create("GET " + call.range + " failed: " + t.getMessage(), t);
            } else if (!(t instanceof software.amazon.awssdk.core.exception.SdkException)) {
                t = SdkClientException.create("GET " + call.range + " failed: " + t, t);
            }
            if (finished.compareAndSet(false, true)) {
                Subscription s = subscription;
                if (s != null) {
                    s.cancel();
                }
                done.completeExceptionally(t);
            }
        }

        private void finish(byte[] bytes) {
            if (finished.compareAndSet(false, true)) {
                done.complete(bytes);
            }
        }
    }

    private static long contentLength(SdkHttpResponse response) {
        Optional<String> value = response.firstMatchingHeader("Content-Length");
        if (value.isEmpty()) {
            return -1;
        }
        try {
            return Long.parseLong(value.get().trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The S3 error of a non-2xx response, as the S3 client would have built it. */
    static S3Exception serviceError(SdkHttpResponse response, String body) {
        String code = first(CODE, body);
        String message = first(MESSAGE, body);
        String requestId = response.firstMatchingHeader("x-amz-request-id").orElse(first(REQUEST_ID, body));
        AwsErrorDetails details = AwsErrorDetails.builder()
                .errorCode(code)
                .errorMessage(message)
                .serviceName("S3")
                .sdkHttpResponse(response)
                .build();
        return (S3Exception) S3Exception.builder()
                .statusCode(response.statusCode())
                .awsErrorDetails(details)
                .requestId(requestId)
                .message(message == null ? "HTTP " + response.statusCode() : message)
                .build();
    }

    private static @Nullable String first(Pattern p, String text) {
        Matcher m = p.matcher(text);
        return m.find() ? m.group(1) : null;
    }

    /** A request without a body. */
    private enum NoBody implements SdkHttpContentPublisher {
        INSTANCE;

        @Override
        public Optional<Long> contentLength() {
            return Optional.of(0L);
        }

        @Override
        public void subscribe(Subscriber<? super ByteBuffer> s) {
            s.onSubscribe(new Subscription() {
                @Override
                public void request(long n) {
                }

                @Override
                public void cancel() {
                }
            });
            s.onComplete();
        }
    }
}
