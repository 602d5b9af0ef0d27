package io.prefetchd.gateway.s3;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * The operations the gateway needs from one bucket of an S3-compatible object store.
 *
 * <p>Implementations are thread-safe. Every failure is reported as an {@link ObjectStoreException}
 * (thrown by the synchronous methods, or as the exceptional completion of {@link #getRange}) whose
 * {@link ObjectStoreException.Kind kind} says what it means for the caller.
 */
public interface ObjectStore extends AutoCloseable {

    /** The bucket this store reads. */
    String bucket();

    /**
     * HEAD one object.
     *
     * @return the object's metadata, or empty when no object has that key
     * @throws ObjectStoreException for any failure other than "not found"
     */
    Optional<ObjectMeta> head(String key);

    /**
     * One page of ListObjectsV2 semantics: keys starting with {@code prefix}, in UTF-8 byte order; with a
     * non-empty {@code delimiter}, keys whose remainder after the prefix contains the delimiter are rolled
     * up into common prefixes. {@code maxKeys} bounds objects plus common prefixes on the page (S3 caps it
     * at 1000).
     *
     * @param prefix the key prefix, {@code null} or empty for all keys
     * @param delimiter the delimiter, {@code null} or empty for a flat listing
     * @param continuationToken {@code null} for the first page, else the previous page's
     *     {@link ListPage#nextToken()}
     * @param maxKeys at least 1
     * @throws ObjectStoreException when the listing fails
     */
    ListPage list(String prefix, @Nullable String delimiter, @Nullable String continuationToken, int maxKeys);

    /**
     * Ranged GET of {@code [offset, offset + length)} of the object, conditional on its ETag
     * ({@code If-Match}). A range reaching past the end of the object yields the bytes up to the end; a range
     * starting at or after the end yields an empty array; {@code length == 0} yields an empty array without a
     * request.
     *
     * @return a future completed with the bytes, or exceptionally with an {@link ObjectStoreException}:
     *     {@link ObjectStoreException.Kind#CHANGED} when the object no longer has {@code etag},
     *     {@link ObjectStoreException.Kind#NOT_FOUND} when it is gone
     */
    CompletableFuture<byte[]> getRange(String key, String etag, long offset, int length);

    /**
     * Makes the bytes of local file {@code file} the object {@code key}, with user metadata {@code metadata}
     * ({@code x-amz-meta-*}): one PUT when the file is small, else a multipart upload whose parts go in parallel.
     * The object appears atomically when the upload completes; an abandoned multipart upload is aborted.
     * With {@code ifNoneMatch} the upload fails with {@link ObjectStoreException.Kind#CHANGED} when an object
     * already exists; with a non-null {@code ifMatchEtag}, when the object no longer has that ETag or is gone
     * (where the backend supports conditional writes; otherwise they are checked by a HEAD first, which is not
     * atomic). At most one of the two may be given.
     *
     * <p>The file must not change until the future completes (the staging area hands over a file it no longer
     * writes). Cancelling the future does not stop the upload. Metadata names are stored lower case, as S3 does;
     * values must be US-ASCII. The ETag is opaque: a multipart object's is not the MD5 of its bytes.
     *
     * @param ifMatchEtag the ETag with or without its quotes, or {@code null}
     * @return a future completed with the new object's metadata, or exceptionally with an
     *     {@link ObjectStoreException}: CHANGED (a condition failed), ACCESS_DENIED, THROTTLED, UNAVAILABLE,
     *     UNREACHABLE (S3 did not answer, or is known not to: nothing was sent), or IO (the file could not be read,
     *     the request was refused as malformed). Transient failures were already retried with backoff; the
     *     retryable kinds ({@link ObjectStoreException.Kind#isRetryable()}) may succeed when tried again later
     * @throws IllegalArgumentException when both conditions are given
     */
    default CompletableFuture<ObjectMeta> upload(String key, Path file, Map<String, String> metadata,
                                                 boolean ifNoneMatch, @Nullable String ifMatchEtag) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("read-only object store"));
    }

    /**
     * Begins a multipart upload of {@code key} with user metadata {@code metadata} whose parts the caller sends
     * ({@link #uploadPart}) and which it completes ({@link #completeMultipart}) or aborts ({@link #abortMultipart}).
     * Nothing is visible under {@code key} until it completes. Used to upload a file while it is still being written.
     *
     * @return a future completed with the upload id, or exceptionally with an {@link ObjectStoreException}, or
     *     with {@link UnsupportedOperationException} when the store cannot do this (then use {@link #upload})
     */
    default CompletableFuture<String> beginMultipart(String key, Map<String, String> metadata) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("no caller-driven multipart uploads"));
    }

    /**
     * Sends {@code data} (its remaining bytes; read, not kept past the returned future, and not changed by the
     * store; the caller leaves them unchanged until that future completes) as part {@code number} of upload
     * {@code uploadId}. Sending a part number again replaces the part. All parts but the last must be at
     * least {@link UploadSettings#S3_MIN_PART} bytes when completed.
     */
    default CompletableFuture<UploadedPart> uploadPart(String key, String uploadId, int number,
                                                       java.nio.ByteBuffer data) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("no caller-driven multipart uploads"));
    }

    /**
     * Like {@link #uploadPart(String, String, int, java.nio.ByteBuffer)}, with the {@code length} bytes of local
     * file {@code file} from {@code offset}, which must not change while they are sent.
     */
    default CompletableFuture<UploadedPart> uploadPart(String key, String uploadId, int number, Path file,
                                                       long offset, long length) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("no caller-driven multipart uploads"));
    }

    /**
     * Completes upload {@code uploadId} as exactly {@code parts}, in part number order (parts sent but not named
     * are discarded): the object appears, whole, now. The conditions are those of {@link #upload}. On failure the
     * upload stays open: the caller aborts it, or completes it again.
     */
    default CompletableFuture<ObjectMeta> completeMultipart(String key, String uploadId, List<UploadedPart> parts,
                                                            boolean ifNoneMatch, @Nullable String ifMatchEtag) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("no caller-driven multipart uploads"));
    }

    /** Aborts upload {@code uploadId}, discarding its parts; an upload the store no longer knows is not an error. */
    default CompletableFuture<Void> abortMultipart(String key, String uploadId) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("no caller-driven multipart uploads"));
    }

    /**
     * The user metadata ({@code x-amz-meta-*}, names lower case without the prefix) of {@code key}, by HEAD.
     *
     * @return the metadata (an empty map for an object written without), or empty when no object has that key
     * @throws ObjectStoreException for any failure other than "not found"
     */
    default Optional<Map<String, String>> userMetadata(String key) {
        throw new UnsupportedOperationException("read-only object store");
    }

    /**
     * Server-side copy of {@code fromKey} (exactly the version {@code etag}) to {@code toKey}, keeping its user
     * metadata; objects above 5 GiB are copied in parts (UploadPartCopy), and {@code toKey} appears whole when
     * the copy completes. The source stays; a rename is a copy, then a {@link #delete}.
     *
     * @return the new object's metadata (its ETag may differ from the source's)
     * @throws ObjectStoreException {@link ObjectStoreException.Kind#CHANGED} when the source no longer has
     *     {@code etag}, NOT_FOUND when it is gone
     */
    default ObjectMeta copy(String fromKey, String etag, String toKey) {
        throw new UnsupportedOperationException("read-only object store");
    }

    /** Deletes {@code key}; deleting a key that does not exist succeeds, as in S3. */
    default void delete(String key) {
        throw new UnsupportedOperationException("read-only object store");
    }

    /**
     * Deletes {@code key} only while it holds the version {@code etag}, for an object this gateway put there and
     * someone else may have replaced since. Sent with {@code If-Match} (atomic where the store honours it on a
     * DELETE, as S3 does) after a HEAD that checks the version (for stores that ignore it).
     *
     * @return whether it deleted that version; false when the key holds another version now, or nothing
     */
    default boolean delete(String key, String etag) {
        throw new UnsupportedOperationException("read-only object store");
    }

    /** Releases connections and threads. Pending requests may fail. */
    @Override
    void close();
}
