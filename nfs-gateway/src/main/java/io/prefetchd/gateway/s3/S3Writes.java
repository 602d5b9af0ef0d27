package io.prefetchd.gateway.s3;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.prefetchd.gateway.s3.ObjectStoreException.Kind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.reactivestreams.Subscriber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CopyObjectResponse;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.UploadPartCopyRequest;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import org.jspecify.annotations.Nullable;

/**
 * The writing half of {@link S3ObjectStore}: uploads from local files, server-side copies, deletes, user
 * metadata.
 *
 * <h2>Uploads</h2>
 * A file smaller than {@link UploadSettings#multipartThreshold()} goes up as one PutObject. A larger one is a
 * multipart upload: CreateMultipartUpload, then its parts ({@link UploadSettings#partSize}) read straight from
 * the file, up to {@link UploadSettings#concurrency()} at once, then CompleteMultipartUpload, which is when the
 * object appears, whole. Each part carries a CRC32 the store checks, so a byte flipped on the way is an error,
 * not a corrupt object. When a part fails for good, no further part starts; once the parts in flight have
 * finished the upload is aborted (AbortMultipartUpload), so the store keeps no orphaned parts. If the abort
 * itself cannot reach the store, the upload id is logged: a bucket lifecycle rule
 * (AbortIncompleteMultipartUpload) is the backstop.
 *
 * <h2>Write slots and retries</h2>
 * Requests that carry bytes (PUTs, parts, copies) first wait for one of {@link UploadSettings#concurrency()}
 * write slots shared by all uploads, then for a slot of the store's own limiter, so uploads never take every
 * slot from reads. Each request has the SDK's retries; on top, a request that still fails with
 * {@link Kind#THROTTLED} or {@link Kind#UNAVAILABLE} is sent again after a jittered exponential pause
 * ({@link Backoff}), up to {@link UploadSettings#attempts()} times. A request that carries {@code n} bytes may
 * take the store's attempt timeout plus one second per {@value #MIN_BYTES_PER_SECOND} bytes: a 64 MiB part on
 * a link shared by sixteen parts is slow, not dead. Dead is the circuit breaker's call: every chunk of a
 * request body the connection accepts tells it that the store is still taking bytes.
 *
 * <h2>Conditional writes</h2>
 * {@code If-None-Match: *} and {@code If-Match} are sent on PutObject and CompleteMultipartUpload, where AWS S3
 * (since 2024), MinIO and S3Proxy check them atomically with the write. Because some S3-compatible stores
 * ignore them, the condition is also checked by a HEAD before any byte is sent; on such a store that check is
 * all there is, and it is not atomic: a writer that slips in between the HEAD and the write is overwritten. The
 * HEAD also saves uploading a large file only to be refused at the end.
 *
 * <p>Thread-safe: the SDK client, the limiter and the meters are; each multipart upload's own state is guarded
 * by its {@link PartRun}.
 */
final class S3Writes {
    private static final Logger LOG = LoggerFactory.getLogger(S3Writes.class);

    /** Sends one request through the store's limiter, circuit breaker, metrics and error translation. */
    @FunctionalInterface
    interface Requests {
        /**
         * Like {@code S3ObjectStore.call}: may throw {@link ObjectStoreException} at once (breaker open). The store
         * may work on the request for up to {@code patience} before its first answer.
         */
        <T> CompletableFuture<T> call(String op, String key, String what, Duration patience,
                Supplier<CompletableFuture<T>> request);
    }

    /** The slowest transfer rate a body-carrying request is allowed before its attempt times out. */
    static final long MIN_BYTES_PER_SECOND = 64 * 1024;
    /**
     * The slowest rate at which a store is expected to assemble or copy bytes on its side before it answers
     * (CompleteMultipartUpload, CopyObject, UploadPartCopy): such a request's attempt, and the circuit breaker's
     * patience with it, get one more second per this many bytes.
     */
    static final long MIN_STORE_BYTES_PER_SECOND = 1024 * 1024;

    private final S3AsyncClient client;
    private final S3AsyncClient patientClient;
    private final S3Settings settings;
    private final UploadSettings uploads;
    private final Requests requests;
    private final Reachability reachability;
    private final Clock clock;
    private final RequestLimiter writeSlots;
    private final Backoff backoff;
    private final MeterRegistry registry;
    private final Counter bytes;
    private final Counter parts;
    private final Counter retries;

    /**
     * @param client the store's S3 client
     * @param patientClient the same without a read timeout, for requests the store works on before it answers:
     *     only their attempt timeout and the circuit breaker's patience bound them
     */
    S3Writes(S3AsyncClient client, S3AsyncClient patientClient, S3Settings settings, Requests requests,
            Reachability reachability, MeterRegistry registry, Clock clock) {
        this.client = requireNonNull(client, "client is null");
        this.patientClient = requireNonNull(patientClient, "patientClient is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.uploads = settings.uploads();
        this.requests = requireNonNull(requests, "requests is null");
        this.reachability = requireNonNull(reachability, "reachability is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.clock = requireNonNull(clock, "clock is null");
        // every upload queues at most its own window of parts here, so the queue is bounded by the uploads
        this.writeSlots = new RequestLimiter(uploads.concurrency(), Integer.MAX_VALUE);
        this.backoff = new Backoff(uploads.firstBackoff(), uploads.maxBackoff(),
                () -> ThreadLocalRandom.current().nextDouble());
        this.bytes = Counter.builder("prefetchd.s3.upload.bytes")
                .description("Bytes S3 acknowledged in PUTs and uploaded parts")
                .baseUnit("bytes")
                .register(registry);
        this.parts = Counter.builder("prefetchd.s3.upload.parts")
                .description("Parts of multipart uploads S3 acknowledged")
                .register(registry);
        this.retries = Counter.builder("prefetchd.s3.upload.retries")
                .description("PUTs, parts and copies sent again after the SDK's own retries gave up")
                .register(registry);
    }

    private String bucket() {
        return settings.bucket();
    }

    // ---------------------------------------------------------------- upload

    CompletableFuture<ObjectMeta> upload(String key, Path file, Map<String, String> metadata, boolean ifNoneMatch,
            @Nullable String ifMatchEtag) {
        requireNonNull(key, "key is null");
        requireNonNull(file, "file is null");
        requireNonNull(metadata, "metadata is null");
        if (ifNoneMatch && ifMatchEtag != null) {
            throw new IllegalArgumentException("ifNoneMatch and ifMatchEtag exclude each other");
        }
        Condition condition = new Condition(ifNoneMatch, ifMatchEtag == null ? null : S3ObjectStore.unquote(ifMatchEtag));
        Map<String, String> userMetadata = Map.copyOf(metadata);
        Timer.Sample sample = Timer.start(registry);
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            ObjectStoreException failure = new ObjectStoreException(Kind.IO, bucket(), key,
                    "upload of " + file + " failed: cannot read it: " + e, e);
            finishUpload("single", failure, sample);
            return CompletableFuture.failedFuture(failure);
        }
        boolean multipart = size >= uploads.multipartThreshold();
        CompletableFuture<ObjectMeta> result = checkCondition(key, condition)
                .thenCompose(ignored -> multipart
                        ? multipartUpload(key, file, size, userMetadata, condition)
                        : put(key, file, size, userMetadata, condition))
                .thenCompose(etag -> written(key, etag, size));
        return result.handle((meta, failure) -> {
            if (failure == null) {
                finishUpload(multipart ? "multipart" : "single", null, sample);
                return meta;
            }
            ObjectStoreException e = asUploadFailure(failure, key, condition);
            finishUpload(multipart ? "multipart" : "single", e, sample);
            throw e;
        });
    }

    /** What the caller asked the existing object to be. */
    private record Condition(boolean ifNoneMatch, @Nullable String ifMatch) {
        boolean any() {
            return ifNoneMatch || ifMatch != null;
        }

        String describe() {
            return ifNoneMatch ? " If-None-Match *" : ifMatch != null ? " If-Match " + ifMatch : "";
        }
    }

    /** The HEAD check of a conditional write (see the class comment: not atomic on its own). */
    private CompletableFuture<Void> checkCondition(String key, Condition condition) {
        if (!condition.any()) {
            return CompletableFuture.completedFuture(null);
        }
        return headResponse(key).thenAccept(current -> {
            if (condition.ifNoneMatch() && current.isPresent()) {
                throw new ObjectStoreException(Kind.CHANGED, bucket(), key,
                        "upload If-None-Match * refused: the object exists (ETag "
                        + S3ObjectStore.unquote(current.get().eTag()) + ")");
            }
            if (condition.ifMatch() != null) {
                String etag = current.map(r -> S3ObjectStore.unquote(r.eTag())).orElse(null);
                if (!condition.ifMatch().equals(etag)) {
                    throw new ObjectStoreException(Kind.CHANGED, bucket(), key, "upload If-Match "
                            + condition.ifMatch() + " refused: " + (etag == null ? "the object is gone" : "the object has ETag " + etag));
                }
            }
        });
    }

    private CompletableFuture<String> put(String key, Path file, long size, Map<String, String> metadata,
            Condition condition) {
        String what = "PUT " + size + " bytes" + condition.describe();
        return withRetries(key, what, () -> {
            PutObjectRequest.Builder request = PutObjectRequest.builder()
                    .bucket(bucket())
                    .key(key)
                    .metadata(metadata)
                    .contentLength(size)
                    .overrideConfiguration(timeouts(size));
            if (condition.ifNoneMatch()) {
                request.ifNoneMatch("*");
            }
            if (condition.ifMatch() != null) {
                request.ifMatch(quote(condition.ifMatch()));
            }
            PutObjectRequest built = request.build();
            return write("put", key, what, () -> client.putObject(built, fileBody(file, 0, size)));
        }).thenApply(response -> {
            bytes.increment(size);
            return S3ObjectStore.unquote(response.eTag());
        });
    }

    private CompletableFuture<String> multipartUpload(String key, Path file, long size, Map<String, String> metadata,
            Condition condition) {
        long partSize;
        try {
            partSize = uploads.partSize(size);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new ObjectStoreException(Kind.IO, bucket(), key,
                    "upload of " + file + " refused: " + e.getMessage(), e));
        }
        int count = (int) ((size + partSize - 1) / partSize);
        CreateMultipartUploadRequest create = CreateMultipartUploadRequest.builder()
                .bucket(bucket())
                .key(key)
                .metadata(metadata)
                .checksumAlgorithm(ChecksumAlgorithm.CRC32)
                .build();
        return send("create_multipart", key, "CreateMultipartUpload", () -> client.createMultipartUpload(create))
                .thenCompose(created -> {
                    String uploadId = created.uploadId();
                    IntFunction<CompletableFuture<CompletedPart>> part = n -> {
                        long offset = (n - 1) * partSize;
                        long length = Math.min(partSize, size - offset);
                        return uploadPart(key, uploadId, n, n + "/" + count, length,
                                () -> fileBody(file, offset, length), offset);
                    };
                    return completeOrAbort(key, uploadId, count, part, size, condition);
                });
    }

    /** Part {@code n} ({@code label} in messages), {@code length} bytes at {@code offset} of a fresh {@code body}. */
    private CompletableFuture<CompletedPart> uploadPart(String key, String uploadId, int n, String label, long length,
            Supplier<AsyncRequestBody> body, long offset) {
        String what = "UploadPart " + label + " bytes=" + offset + "-" + (offset + length - 1);
        return withRetries(key, what, () -> {
            UploadPartRequest request = UploadPartRequest.builder()
                    .bucket(bucket())
                    .key(key)
                    .uploadId(uploadId)
                    .partNumber(n)
                    .contentLength(length)
                    .checksumAlgorithm(ChecksumAlgorithm.CRC32)
                    .overrideConfiguration(timeouts(length))
                    .build();
            return write("upload_part", key, what, () -> client.uploadPart(request, body.get()));
        }).thenApply(response -> {
            bytes.increment(length);
            parts.increment();
            return CompletedPart.builder()
                    .partNumber(n)
                    .eTag(response.eTag())
                    .checksumCRC32(response.checksumCRC32())
                    .build();
        });
    }

    /** Runs the parts; completes the upload when all succeeded, else aborts it once none is in flight. */
    private CompletableFuture<String> completeOrAbort(String key, String uploadId, int count,
            IntFunction<CompletableFuture<CompletedPart>> part, long size, Condition condition) {
        CompletableFuture<String> result = new PartRun(key, count, part).run()
                .thenCompose(done -> complete(key, uploadId, done, size, condition));
        return result.whenComplete((etag, failure) -> {
            if (failure != null) {
                abort(key, uploadId, failure);
            }
        });
    }

    private CompletableFuture<String> complete(String key, String uploadId, List<CompletedPart> done, long size,
            Condition condition) {
        String what = "CompleteMultipartUpload of " + done.size() + " parts" + condition.describe();
        return withRetries(key, what, () -> {
            CompleteMultipartUploadRequest.Builder request = CompleteMultipartUploadRequest.builder()
                    .bucket(bucket())
                    .key(key)
                    .uploadId(uploadId)
                    .multipartUpload(m -> m.parts(done))
                    // assembling the parts takes the store a while; AWS S3 sends its headers, then spaces meanwhile,
                    // some others (S3Proxy over files) nothing until done
                    .overrideConfiguration(storeTimeouts(size));
            if (condition.ifNoneMatch()) {
                request.ifNoneMatch("*");
            }
            if (condition.ifMatch() != null) {
                request.ifMatch(quote(condition.ifMatch()));
            }
            CompleteMultipartUploadRequest built = request.build();
            return send("complete_multipart", key, what, storeWork(size),
                    () -> patientClient.completeMultipartUpload(built));
        }).thenApply(response -> S3ObjectStore.unquote(response.eTag()))
                .exceptionallyCompose(failure -> completedAnyway(key, uploadId, done,
                        asStoreException(failure, key, what)));
    }

    /**
     * After CompleteMultipartUpload (or its HEAD check) failed with NoSuchUpload or a refused condition: an earlier
     * attempt may have completed the upload and lost only its answer (a reset, a timeout), and the retry then finds
     * no upload, or finds the object it made and refuses If-None-Match. The object is ours when its ETag is the one
     * S3 gives our parts: the MD5 of their MD5s, a dash, their number. An upload refused so is still open, and is
     * aborted: the object holds its bytes already.
     */
    private CompletableFuture<String> completedAnyway(String key, String uploadId, List<CompletedPart> done,
            ObjectStoreException e) {
        String expected = compositeEtag(done);
        boolean refused = e.kind() == Kind.CHANGED;
        if (!refused && !"NoSuchUpload".equals(errorCode(e)) || expected == null) {
            return CompletableFuture.failedFuture(e);
        }
        return headResponse(key).thenApply(current -> {
            if (current.isEmpty() || !expected.equals(S3ObjectStore.unquote(current.get().eTag()))) {
                throw e;
            }
            LOG.info("s3://{}/{}: the answer to CompleteMultipartUpload was lost, but the object with its ETag {} "
                    + "is there", bucket(), key, expected);
            if (refused) {
                abortMultipart(key, uploadId).whenComplete((ignored, failure) -> {
                    if (failure != null) {
                        LOG.warn("s3://{}/{}: multipart upload {} (its object is there already) could not be "
                                + "aborted ({}); its parts stay in the bucket until a lifecycle rule "
                                + "(AbortIncompleteMultipartUpload) or an abort removes them", bucket(), key, uploadId,
                                rootMessage(failure));
                    }
                });
            }
            return expected;
        });
    }

    /** S3's ETag of a multipart object made of {@code done}, or {@code null} when a part's ETag is no MD5. */
    static @Nullable String compositeEtag(List<CompletedPart> done) {
        MessageDigest md5;
        try {
            md5 = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is a required JDK algorithm", e);
        }
        for (CompletedPart part : done) {
            String hex = S3ObjectStore.unquote(part.eTag());
            if (hex.length() != 32) {
                return null;
            }
            try {
                md5.update(HexFormat.of().parseHex(hex));
            } catch (IllegalArgumentException notHex) {
                return null;
            }
        }
        return HexFormat.of().formatHex(md5.digest()) + "-" + done.size();
    }

    private void abort(String key, String uploadId, Throwable cause) {
        abortMultipart(key, uploadId)
                .whenComplete((ignored, failure) -> {
                    ObjectStoreException e = failure == null ? null : asStoreException(failure, key, "abort");
                    if (e != null) {
                        LOG.warn("s3://{}/{}: multipart upload {} failed ({}) and could not be aborted ({}); its "
                                + "parts stay in the bucket until a lifecycle rule (AbortIncompleteMultipartUpload) "
                                + "or an abort removes them", bucket(), key, uploadId, rootMessage(cause),
                                e.getMessage());
                    }
                });
    }

    /** Aborts {@code uploadId}; one the store no longer knows (completed, aborted) counts as aborted. */
    CompletableFuture<Void> abortMultipart(String key, String uploadId) {
        requireNonNull(key, "key is null");
        requireNonNull(uploadId, "uploadId is null");
        String what = "AbortMultipartUpload " + uploadId;
        return withRetries(key, what, () -> send("abort_multipart", key, what,
                () -> client.abortMultipartUpload(b -> b.bucket(bucket()).key(key).uploadId(uploadId))))
                .handle((ignored, failure) -> {
                    if (failure == null) {
                        return null;
                    }
                    ObjectStoreException e = asStoreException(failure, key, what);
                    if (e.kind() == Kind.NOT_FOUND || "NoSuchUpload".equals(errorCode(e))) {
                        return null;
                    }
                    throw e;
                });
    }

    // ---------------------------------------------------------------- multipart uploads driven by the caller

    CompletableFuture<String> beginMultipart(String key, Map<String, String> metadata) {
        requireNonNull(key, "key is null");
        CreateMultipartUploadRequest create = CreateMultipartUploadRequest.builder()
                .bucket(bucket())
                .key(key)
                .metadata(Map.copyOf(requireNonNull(metadata, "metadata is null")))
                .checksumAlgorithm(ChecksumAlgorithm.CRC32)
                .build();
        return send("create_multipart", key, "CreateMultipartUpload", () -> client.createMultipartUpload(create))
                .thenApply(created -> created.uploadId());
    }

    CompletableFuture<UploadedPart> uploadPart(String key, String uploadId, int number, ByteBuffer data) {
        ByteBuffer bytes = data.slice();
        long length = bytes.remaining();
        return uploadPart(key, uploadId, number, Integer.toString(number), length,
                () -> reporting(AsyncRequestBody.fromByteBufferUnsafe(bytes.duplicate())), 0)
                .thenApply(p -> new UploadedPart(number, length, p.eTag(), p.checksumCRC32()));
    }

    CompletableFuture<UploadedPart> uploadPart(String key, String uploadId, int number, Path file, long offset,
            long length) {
        return uploadPart(key, uploadId, number, Integer.toString(number), length,
                () -> fileBody(file, offset, length), offset)
                .thenApply(p -> new UploadedPart(number, length, p.eTag(), p.checksumCRC32()));
    }

    CompletableFuture<ObjectMeta> completeMultipart(String key, String uploadId, List<UploadedPart> parts,
            boolean ifNoneMatch, @Nullable String ifMatchEtag) {
        requireNonNull(key, "key is null");
        requireNonNull(uploadId, "uploadId is null");
        if (ifNoneMatch && ifMatchEtag != null) {
            throw new IllegalArgumentException("ifNoneMatch and ifMatchEtag exclude each other");
        }
        Condition condition = new Condition(ifNoneMatch, ifMatchEtag == null ? null : S3ObjectStore.unquote(ifMatchEtag));
        List<CompletedPart> done = parts.stream()
                .map(p -> CompletedPart.builder().partNumber(p.number()).eTag(p.etag()).checksumCRC32(p.checksumCrc32())
                        .build())
                .toList();
        long size = parts.stream().mapToLong(UploadedPart::length).sum();
        Timer.Sample sample = Timer.start(registry);
        CompletableFuture<String> checked = checkCondition(key, condition).thenApply(ignored -> (String) null)
                .exceptionallyCompose(failure -> completedAnyway(key, uploadId, done,
                        asStoreException(failure, key, "HEAD")));
        return checked
                .thenCompose(etag -> etag != null ? CompletableFuture.completedFuture(etag)
                        : complete(key, uploadId, done, size, condition))
                .thenCompose(etag -> written(key, etag, size))
                .handle((meta, failure) -> {
                    if (failure == null) {
                        finishUpload("multipart", null, sample);
                        return meta;
                    }
                    ObjectStoreException e = asUploadFailure(failure, key, condition);
                    finishUpload("multipart", e, sample);
                    throw e;
                });
    }

    /** The new object's metadata: its Last-Modified comes from a HEAD, as PUT responses do not carry it. */
    private CompletableFuture<ObjectMeta> written(String key, String etag, long size) {
        return headResponse(key).handle((current, failure) -> {
            if (failure == null && current.isPresent() && etag.equals(S3ObjectStore.unquote(current.get().eTag()))
                    && current.get().lastModified() != null) {
                return new ObjectMeta(key, size, etag, current.get().lastModified());
            }
            // replaced or deleted already, or the HEAD failed: the write itself succeeded
            return new ObjectMeta(key, size, etag, clock.instant());
        });
    }

    // ---------------------------------------------------------------- copy, delete, metadata

    ObjectMeta copy(String fromKey, String etag, String toKey) {
        requireNonNull(fromKey, "fromKey is null");
        requireNonNull(etag, "etag is null");
        requireNonNull(toKey, "toKey is null");
        String expected = S3ObjectStore.unquote(etag);
        HeadObjectResponse source = await(headResponse(fromKey), fromKey, "HEAD").orElseThrow(() ->
                new ObjectStoreException(Kind.NOT_FOUND, bucket(), fromKey, "copy to " + toKey + " failed: no such key"));
        String current = S3ObjectStore.unquote(source.eTag());
        if (!expected.equals(current)) {
            throw new ObjectStoreException(Kind.CHANGED, bucket(), fromKey, "copy to " + toKey + " If-Match " + expected
                    + " refused: the object has ETag " + current);
        }
        long size = source.contentLength() == null ? 0 : source.contentLength();
        CompletableFuture<String> copied = size <= uploads.multipartCopyThreshold()
                ? copyObject(fromKey, expected, toKey, size)
                : multipartCopy(fromKey, expected, toKey, source, size);
        return await(copied.thenCompose(newEtag -> written(toKey, newEtag, size)), toKey, "copy from " + fromKey);
    }

    private CompletableFuture<String> copyObject(String fromKey, String etag, String toKey, long size) {
        String what = "CopyObject from " + fromKey + " If-Match " + etag;
        CopyObjectRequest request = CopyObjectRequest.builder()
                .sourceBucket(bucket())
                .sourceKey(fromKey)
                .destinationBucket(bucket())
                .destinationKey(toKey)
                .copySourceIfMatch(quote(etag))
                .metadataDirective(MetadataDirective.COPY)
                .overrideConfiguration(storeTimeouts(size))
                .build();
        return withRetries(toKey, what, () -> write("copy", toKey, what, storeWork(size),
                () -> patientClient.copyObject(request)))
                .thenApply(CopyObjectResponse::copyObjectResult)
                .thenApply(r -> S3ObjectStore.unquote(r.eTag()));
    }

    private CompletableFuture<String> multipartCopy(String fromKey, String etag, String toKey,
            HeadObjectResponse source, long size) {
        long partSize = uploads.partSize(size);
        int count = (int) ((size + partSize - 1) / partSize);
        CreateMultipartUploadRequest.Builder create = CreateMultipartUploadRequest.builder()
                .bucket(bucket())
                .key(toKey)
                .metadata(source.metadata());
        if (source.contentType() != null) {
            create.contentType(source.contentType());
        }
        CreateMultipartUploadRequest built = create.build();
        return send("create_multipart", toKey, "CreateMultipartUpload (copy of " + fromKey + ")",
                () -> client.createMultipartUpload(built))
                .thenCompose(created -> {
                    String uploadId = created.uploadId();
                    IntFunction<CompletableFuture<CompletedPart>> part = n -> {
                        long offset = (n - 1) * partSize;
                        long last = Math.min(size, offset + partSize) - 1;
                        String what = "UploadPartCopy " + n + "/" + count + " from " + fromKey + " bytes="
                                + offset + "-" + last + " If-Match " + etag;
                        UploadPartCopyRequest request = UploadPartCopyRequest.builder()
                                .sourceBucket(bucket())
                                .sourceKey(fromKey)
                                .destinationBucket(bucket())
                                .destinationKey(toKey)
                                .uploadId(uploadId)
                                .partNumber(n)
                                .copySourceRange("bytes=" + offset + "-" + last)
                                .copySourceIfMatch(quote(etag))
                                .overrideConfiguration(storeTimeouts(last - offset + 1))
                                .build();
                        return withRetries(toKey, what, () -> write("upload_part_copy", toKey, what,
                                storeWork(last - offset + 1), () -> patientClient.uploadPartCopy(request)))
                                .thenApply(r -> CompletedPart.builder()
                                        .partNumber(n)
                                        .eTag(r.copyPartResult().eTag())
                                        .build());
                    };
                    return completeOrAbort(toKey, uploadId, count, part, size, new Condition(false, null));
                });
    }

    void delete(String key) {
        requireNonNull(key, "key is null");
        try {
            await(send("delete", key, "DELETE", () -> client.deleteObject(b -> b.bucket(bucket()).key(key))), key,
                    "DELETE");
        } catch (ObjectStoreException e) {
            if (e.kind() != Kind.NOT_FOUND) {
                throw e;
            }
        }
    }

    boolean delete(String key, String etag) {
        requireNonNull(key, "key is null");
        String expected = S3ObjectStore.unquote(requireNonNull(etag, "etag is null"));
        Optional<HeadObjectResponse> current = await(headResponse(key), key, "HEAD");
        if (current.isEmpty() || !expected.equals(S3ObjectStore.unquote(current.get().eTag()))) {
            return false;
        }
        try {
            await(send("delete", key, "DELETE", () -> client.deleteObject(b -> b.bucket(bucket()).key(key)
                    .ifMatch('"' + expected + '"'))), key, "DELETE");
            return true;
        } catch (ObjectStoreException e) {
            if (e.kind() == Kind.NOT_FOUND || e.kind() == Kind.CHANGED) {
                return false;   // deleted, or replaced, between the HEAD and the DELETE
            }
            if (refusesConditionalDelete(e)) {   // the HEAD found that version: as close as such a store allows
                delete(key);
                return true;
            }
            throw e;
        }
    }

    /** Whether a store refused a DELETE for its If-Match header, not for the deletion itself. */
    private static boolean refusesConditionalDelete(ObjectStoreException e) {
        if (!(e.getCause() instanceof AwsServiceException s)) {
            return false;
        }
        String code = errorCode(e);
        return s.statusCode() == 501 || s.statusCode() == 400 && ("NotImplemented".equals(code)
                || "InvalidArgument".equals(code) || "InvalidRequest".equals(code));
    }

    Optional<Map<String, String>> userMetadata(String key) {
        requireNonNull(key, "key is null");
        return await(headResponse(key), key, "HEAD").map(r -> {
            Map<String, String> out = new TreeMap<>();
            r.metadata().forEach((name, value) -> out.put(name.toLowerCase(Locale.ROOT), value));
            return Map.copyOf(out);
        });
    }

    // ---------------------------------------------------------------- plumbing

    /** HEAD, with "not found" as an empty value rather than a failure. */
    private CompletableFuture<Optional<HeadObjectResponse>> headResponse(String key) {
        return send("head", key, "HEAD", () -> client.headObject(b -> b.bucket(bucket()).key(key)))
                .handle((response, failure) -> {
                    if (failure == null) {
                        return Optional.of(response);
                    }
                    ObjectStoreException e = asStoreException(failure, key, "HEAD");
                    if (e.kind() == Kind.NOT_FOUND) {
                        return Optional.empty();
                    }
                    throw e;
                });
    }

    /** One request through the store; a refusal (breaker open) arrives as a failed future. */
    private <T> CompletableFuture<T> send(String op, String key, String what, Supplier<CompletableFuture<T>> request) {
        return send(op, key, what, Duration.ZERO, request);
    }

    /** Like {@link #send(String, String, String, Supplier)}, for a request the store works on for up to {@code patience}. */
    private <T> CompletableFuture<T> send(String op, String key, String what, Duration patience,
            Supplier<CompletableFuture<T>> request) {
        try {
            return requests.call(op, key, what, patience, request);
        } catch (ObjectStoreException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** A request that carries bytes: it waits for a write slot first. */
    private <T> CompletableFuture<T> write(String op, String key, String what, Supplier<CompletableFuture<T>> request) {
        return write(op, key, what, Duration.ZERO, request);
    }

    /** A request that carries or copies bytes, which the store works on for up to {@code patience}. */
    private <T> CompletableFuture<T> write(String op, String key, String what, Duration patience,
            Supplier<CompletableFuture<T>> request) {
        return writeSlots.submit(() -> send(op, key, what, patience, request));
    }

    /** How long the store may work on {@code bytes} of its own before it answers: see {@link #MIN_STORE_BYTES_PER_SECOND}. */
    private static Duration storeWork(long bytes) {
        return Duration.ofMillis(bytes * 1000 / MIN_STORE_BYTES_PER_SECOND);
    }

    /** Tries {@code attempt} again after a pause while it fails with a transient error. */
    private <T> CompletableFuture<T> withRetries(String key, String what, Supplier<CompletableFuture<T>> attempt) {
        CompletableFuture<T> result = new CompletableFuture<>();
        attempt(1, key, what, attempt, result);
        return result;
    }

    private <T> void attempt(int n, String key, String what, Supplier<CompletableFuture<T>> attempt,
            CompletableFuture<T> result) {
        CompletableFuture<T> sent;
        try {
            sent = attempt.get();
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.whenComplete((value, failure) -> {
            if (failure == null) {
                result.complete(value);
                return;
            }
            ObjectStoreException e = asStoreException(failure, key, what);
            boolean transientFailure = e.kind() == Kind.THROTTLED || e.kind() == Kind.UNAVAILABLE;
            if (!transientFailure || n >= uploads.attempts()) {
                result.completeExceptionally(e);
                return;
            }
            retries.increment();
            Duration pause = backoff.delay(n);
            LOG.info("{}; trying again in {} ms (attempt {} of {})", e.getMessage(), pause.toMillis(), n + 1,
                    uploads.attempts());
            CompletableFuture.delayedExecutor(pause.toNanos(), TimeUnit.NANOSECONDS)
                    .execute(() -> attempt(n + 1, key, what, attempt, result));
        });
    }

    /**
     * The time an attempt that carries {@code length} bytes may take, and the whole call with its retries:
     * the store's attempt timeout plus one second per {@link #MIN_BYTES_PER_SECOND} bytes.
     */
    private AwsRequestOverrideConfiguration timeouts(long length) {
        return timeouts(settings.attemptTimeout().plusSeconds(length / MIN_BYTES_PER_SECOND));
    }

    /**
     * The time an attempt may take in which the store assembles or copies {@code length} bytes on its side, and the
     * whole call with its retries: the store's attempt timeout plus {@link #storeWork}.
     */
    private AwsRequestOverrideConfiguration storeTimeouts(long length) {
        return timeouts(settings.attemptTimeout().plus(storeWork(length)));
    }

    private AwsRequestOverrideConfiguration timeouts(Duration attempt) {
        return AwsRequestOverrideConfiguration.builder()
                .apiCallAttemptTimeout(attempt)
                .apiCallTimeout(attempt.multipliedBy(settings.maxAttempts()).plus(settings.apiCallTimeout()))
                .build();
    }

    /**
     * {@code length} bytes of {@code file} from {@code offset}, telling the circuit breaker about every chunk the
     * connection takes: a long upload still being accepted is the store answering, however long it takes.
     */
    private AsyncRequestBody fileBody(Path file, long offset, long length) {
        return reporting(AsyncRequestBody.fromFile(b -> b.path(file).position(offset).numBytesToRead(length)));
    }

    /** {@code body}, telling the circuit breaker about every chunk the connection takes. */
    private AsyncRequestBody reporting(AsyncRequestBody body) {
        return new AsyncRequestBody() {
            @Override
            public Optional<Long> contentLength() {
                return body.contentLength();
            }

            @Override
            public String contentType() {
                return body.contentType();
            }

            @Override
            public void subscribe(Subscriber<? super ByteBuffer> subscriber) {
                body.map(chunk -> {
                    reachability.answered();
                    return chunk;
                }).subscribe(subscriber);
            }
        };
    }

    private <T> T await(CompletableFuture<T> future, String key, String what) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            future.cancel(true);
            throw new ObjectStoreException(Kind.UNAVAILABLE, bucket(), key, what + " interrupted", e);
        } catch (ExecutionException e) {
            throw asStoreException(e, key, what);
        }
    }

    private ObjectStoreException asStoreException(Throwable failure, String key, String what) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof ObjectStoreException e) {
            return e;
        }
        return new ObjectStoreException(Kind.IO, bucket(), key, what + " failed: " + t, t);
    }

    /**
     * An upload's failure as its caller sees it: with {@code If-Match}, "no such key" means the object the
     * caller meant is gone, which is a change like any other.
     */
    private ObjectStoreException asUploadFailure(Throwable failure, String key, Condition condition) {
        ObjectStoreException e = asStoreException(failure, key, "upload");
        if (e.kind() == Kind.NOT_FOUND && condition.ifMatch() != null && "NoSuchKey".equals(errorCode(e))) {
            return new ObjectStoreException(Kind.CHANGED, bucket(), key, e.getMessage(), e);
        }
        return e;
    }

    private static @Nullable String errorCode(ObjectStoreException e) {
        if (e.getCause() instanceof AwsServiceException s && s.awsErrorDetails() != null) {
            return s.awsErrorDetails().errorCode();
        }
        return null;
    }

    private void finishUpload(String kind, @Nullable ObjectStoreException failure, Timer.Sample sample) {
        String outcome = failure == null ? "ok" : failure.kind().name().toLowerCase(Locale.ROOT);
        sample.stop(Timer.builder("prefetchd.s3.upload.duration")
                .description("Time to upload one file, from the call to the object's appearance (or the failure)")
                .serviceLevelObjectives(io.prefetchd.gateway.LatencyBuckets.bounds())
                .tag("kind", kind)
                .register(registry));
        Counter.builder("prefetchd.s3.uploads")
                .description("Uploads of files by kind (single PUT or multipart) and outcome")
                .tag("kind", kind)
                .tag("outcome", outcome)
                .register(registry)
                .increment();
    }

    private static String quote(String etag) {
        return etag.startsWith("\"") ? etag : "\"" + etag + "\"";
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return String.valueOf(c.getMessage());
    }

    /**
     * One multipart upload's (or copy's) parts: at most {@link UploadSettings#concurrency()} in flight; after the
     * first failure none starts, and the run fails once those in flight have finished, so that the abort that
     * follows does not race a part still being written.
     *
     * <p>Thread-safe: state guarded by {@code this}; parts start and finish outside the lock.
     */
    private final class PartRun {
        private final String key;
        private final int count;
        private final IntFunction<CompletableFuture<CompletedPart>> part;
        private final CompletedPart[] done;
        private final CompletableFuture<List<CompletedPart>> result = new CompletableFuture<>();
        private int next = 1;                      // guarded by this
        private int inFlight;                      // guarded by this
        private @Nullable ObjectStoreException failure;      // guarded by this

        PartRun(String key, int count, IntFunction<CompletableFuture<CompletedPart>> part) {
            this.key = key;
            this.count = count;
            this.part = part;
            this.done = new CompletedPart[count];
        }

        CompletableFuture<List<CompletedPart>> run() {
            startMore();
            return result;
        }

        private void startMore() {
            List<Integer> start = new ArrayList<>();
            synchronized (this) {
                while (failure == null && inFlight < uploads.concurrency() && next <= count) {
                    start.add(next++);
                    inFlight++;
                }
            }
            for (int n : start) {
                CompletableFuture<CompletedPart> sent;
                try {
                    sent = part.apply(n);
                } catch (RuntimeException e) {
                    sent = CompletableFuture.failedFuture(e);
                }
                sent.whenComplete((p, t) -> finished(n, p, t));
            }
        }

        private void finished(int n, CompletedPart p, Throwable t) {
            ObjectStoreException failed;
            boolean over;
            synchronized (this) {
                inFlight--;
                if (t == null) {
                    done[n - 1] = p;
                } else if (failure == null) {
                    failure = asStoreException(t, key, "part " + n);
                }
                failed = failure;
                over = inFlight == 0 && (failure != null || next > count);
            }
            if (!over) {
                startMore();
            } else if (failed != null) {
                result.completeExceptionally(failed);
            } else {
                result.complete(Arrays.asList(done));
            }
        }
    }
}
