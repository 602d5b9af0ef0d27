package io.prefetchd.gateway.s3;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import io.prefetchd.gateway.s3.ObjectStoreException.Kind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * An in-memory object store for tests and benchmarks: a fake, with S3's semantics where callers can tell.
 *
 * <ul>
 *   <li>ETags are the hex MD5 of the content, as S3 gives for single-part uploads.</li>
 *   <li>Listings follow ListObjectsV2: keys in UTF-8 byte order, delimiter roll-up into common prefixes,
 *       {@code maxKeys} (capped at 1000) counting objects and prefixes, opaque continuation tokens.</li>
 *   <li>{@link #getRange} completes on the store's own thread, never the caller's, like a network client;
 *       it honours {@code If-Match} (CHANGED) and missing keys (NOT_FOUND).</li>
 *   <li>{@link #upload} reads the file and completes on the store's thread too; its conditions
 *       ({@code If-None-Match: *}, {@code If-Match}) are checked atomically with the write, as AWS S3 does. The
 *       ETag of an upload is the MD5 of its bytes however large it is (S3 gives multipart uploads a different
 *       form: treat ETags as opaque). {@link #copy} keeps the source's ETag and user metadata.</li>
 *   <li>Caller-driven multipart uploads ({@link #beginMultipart}, {@link #uploadPart}, {@link #completeMultipart},
 *       {@link #abortMultipart}) keep their parts until completed or aborted; a completion names parts by the MD5
 *       ETags they were given; part sizes are not checked. {@link #partsUploaded()} (of them
 *       {@link #partsUploadedFromFiles()}, those whose bytes it read from a local file) and
 *       {@link #multipartsInProgress()} count them.</li>
 * </ul>
 *
 * <p>Test hooks: {@link #getCount()} and {@link #getBytes()} count GETs; {@link #setGetHook} runs code
 * before each GET is served (block it on a latch, or throw an {@link ObjectStoreException} to fail it);
 * {@link #failNextGets} is the common case of the latter. {@link #failNextWrites} fails uploads, copies and
 * deletes the same way; {@link #writeCount()} counts them.
 *
 * <p>Thread-safe: objects live in a concurrent sorted map of immutable entries, counters are atomic.
 */
public final class InMemoryObjectStore implements ObjectStore {
    /** Code run before each GET is served, on the store's thread. May block, or throw to fail the GET. */
    @FunctionalInterface
    public interface GetHook {
        void beforeGet(String key, long offset, int length) throws Exception;
    }

    private static final int MAX_KEYS_CAP = 1000;

    private record Entry(byte[] bytes, ObjectMeta meta, Map<String, String> userMetadata) {
    }

    private final String bucket;
    private final Clock clock;
    private final ConcurrentSkipListMap<String, Entry> objects = new ConcurrentSkipListMap<>(InMemoryObjectStore::compareUtf8);
    private final AtomicLong gets = new AtomicLong();
    private final AtomicLong heads = new AtomicLong();
    private final AtomicLong lists = new AtomicLong();
    private final AtomicLong writes = new AtomicLong();
    private final AtomicInteger writeFailuresToInject = new AtomicInteger();
    private final AtomicReference<Kind> injectedWriteKind = new AtomicReference<>(Kind.UNAVAILABLE);
    private volatile boolean unreachable;
    private final AtomicLong getBytes = new AtomicLong();
    private final AtomicReference<GetHook> hook = new AtomicReference<>();
    private final AtomicInteger failuresToInject = new AtomicInteger();
    private final AtomicReference<Kind> injectedKind = new AtomicReference<>(Kind.UNAVAILABLE);
    private final ExecutorService executor;
    private final Map<String, Multipart> multiparts = new java.util.concurrent.ConcurrentHashMap<>();
    private final AtomicLong uploadIds = new AtomicLong();
    private final AtomicLong partsUploaded = new AtomicLong();
    private final AtomicLong partsFromFiles = new AtomicLong();

    public InMemoryObjectStore(String bucket, Clock clock) {
        this.bucket = requireNonNull(bucket, "bucket is null");
        this.clock = requireNonNull(clock, "clock is null");
        AtomicInteger threads = new AtomicInteger();
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "in-memory-s3-" + bucket + "-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** A store whose objects are stamped with the system clock. */
    public InMemoryObjectStore(String bucket) {
        this(bucket, Clock.systemUTC());
    }

    /** Stores {@code bytes} (copied) under {@code key}, replacing any object there. */
    public String put(String key, byte[] bytes) {
        requireNonNull(key, "key is null");
        byte[] copy = bytes.clone();
        String etag = md5Hex(copy);
        objects.put(key, new Entry(copy, new ObjectMeta(key, copy.length, etag, clock.instant()), Map.of()));
        return etag;
    }

    /** Removes the object, if there is one (counted as a write, and failed by {@link #failNextWrites}). */
    @Override
    public void delete(String key) {
        requireNonNull(key, "key is null");
        beforeWrite(key, "DELETE");
        objects.remove(key);
    }

    @Override
    public boolean delete(String key, String etag) {
        requireNonNull(key, "key is null");
        String expected = unquote(requireNonNull(etag, "etag is null"));
        beforeWrite(key, "DELETE");
        Entry e = objects.get(key);
        return e != null && e.meta().etag().equals(expected) && objects.remove(key, e);
    }

    @Override
    public CompletableFuture<ObjectMeta> upload(String key, Path file, Map<String, String> metadata,
                                                boolean ifNoneMatch, @Nullable String ifMatchEtag) {
        requireNonNull(key, "key is null");
        requireNonNull(file, "file is null");
        Map<String, String> userMetadata = lowerCaseNames(requireNonNull(metadata, "metadata is null"));
        if (ifNoneMatch && ifMatchEtag != null) {
            throw new IllegalArgumentException("ifNoneMatch and ifMatchEtag exclude each other");
        }
        CompletableFuture<ObjectMeta> result = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                try {
                    beforeWrite(key, "upload");
                    byte[] bytes;
                    try {
                        bytes = Files.readAllBytes(file);
                    } catch (IOException e) {
                        throw new ObjectStoreException(Kind.IO, bucket, key, "upload of " + file + " failed: " + e, e);
                    }
                    ObjectMeta meta = new ObjectMeta(key, bytes.length, md5Hex(bytes), clock.instant());
                    Entry entry = new Entry(bytes, meta, userMetadata);
                    objects.compute(key, (k, current) -> {
                        checkCondition(key, current, ifNoneMatch, ifMatchEtag);
                        return entry;
                    });
                    result.complete(meta);
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new ObjectStoreException(Kind.UNAVAILABLE, bucket, key,
                    "upload refused: store is closed", e));
        }
        return result;
    }

    /** A multipart upload in progress: its key, metadata, and parts by number. */
    private record Multipart(String key, Map<String, String> userMetadata, Map<Integer, byte[]> parts) {
    }

    @Override
    public CompletableFuture<String> beginMultipart(String key, Map<String, String> metadata) {
        requireNonNull(key, "key is null");
        Map<String, String> userMetadata = lowerCaseNames(requireNonNull(metadata, "metadata is null"));
        return onStoreThread(key, "CreateMultipartUpload", () -> {
            beforeWrite(key, "CreateMultipartUpload");
            String id = "upload-" + uploadIds.incrementAndGet();
            multiparts.put(id, new Multipart(key, userMetadata, new java.util.concurrent.ConcurrentHashMap<>()));
            return id;
        });
    }

    @Override
    public CompletableFuture<UploadedPart> uploadPart(String key, String uploadId, int number, java.nio.ByteBuffer data) {
        java.nio.ByteBuffer b = data.slice();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return storePart(key, uploadId, number, () -> bytes, false);
    }

    @Override
    public CompletableFuture<UploadedPart> uploadPart(String key, String uploadId, int number, Path file, long offset,
                                                      long length) {
        return storePart(key, uploadId, number, () -> {
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file)) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(Math.toIntExact(length));
                while (b.hasRemaining()) {
                    if (ch.read(b, offset + b.position()) < 0) {
                        throw new IOException(file + " ended before " + (offset + length));
                    }
                }
                return b.array();
            } catch (IOException e) {
                throw new ObjectStoreException(Kind.IO, bucket, key, "UploadPart " + number + " of " + file
                        + " failed: " + e, e);
            }
        }, true);
    }

    private CompletableFuture<UploadedPart> storePart(String key, String uploadId, int number,
                                                      java.util.function.Supplier<byte[]> bytes, boolean fromFile) {
        return onStoreThread(key, "UploadPart " + number, () -> {
            beforeWrite(key, "UploadPart " + number);
            byte[] b = bytes.get();
            Multipart m = multiparts.get(uploadId);
            if (m == null || !m.key().equals(key)) {
                throw new ObjectStoreException(Kind.NOT_FOUND, bucket, key, "UploadPart " + number + " failed: "
                        + "NoSuchUpload " + uploadId);
            }
            m.parts().put(number, b);
            partsUploaded.incrementAndGet();
            if (fromFile) {
                partsFromFiles.incrementAndGet();
            }
            return new UploadedPart(number, b.length, md5Hex(b), null);
        });
    }

    @Override
    public CompletableFuture<ObjectMeta> completeMultipart(String key, String uploadId, List<UploadedPart> parts,
                                                           boolean ifNoneMatch, @Nullable String ifMatchEtag) {
        if (ifNoneMatch && ifMatchEtag != null) {
            throw new IllegalArgumentException("ifNoneMatch and ifMatchEtag exclude each other");
        }
        return onStoreThread(key, "CompleteMultipartUpload", () -> {
            beforeWrite(key, "CompleteMultipartUpload");
            Multipart m = multiparts.get(uploadId);
            if (m == null || !m.key().equals(key)) {
                throw new ObjectStoreException(Kind.NOT_FOUND, bucket, key, "CompleteMultipartUpload failed: "
                        + "NoSuchUpload " + uploadId);
            }
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            int last = 0;
            for (UploadedPart p : parts) {
                byte[] b = m.parts().get(p.number());
                if (p.number() <= last || b == null || !md5Hex(b).equals(p.etag())) {
                    throw new ObjectStoreException(Kind.IO, bucket, key, "CompleteMultipartUpload failed: "
                            + "InvalidPart " + p.number());
                }
                last = p.number();
                all.writeBytes(b);
            }
            byte[] bytes = all.toByteArray();
            ObjectMeta meta = new ObjectMeta(key, bytes.length, md5Hex(bytes), clock.instant());
            objects.compute(key, (k, current) -> {
                checkCondition(key, current, ifNoneMatch, ifMatchEtag);
                return new Entry(bytes, meta, m.userMetadata());
            });
            multiparts.remove(uploadId);
            return meta;
        });
    }

    @Override
    public CompletableFuture<Void> abortMultipart(String key, String uploadId) {
        return onStoreThread(key, "AbortMultipartUpload", () -> {
            beforeWrite(key, "AbortMultipartUpload");
            multiparts.remove(uploadId);
            return null;
        });
    }

    /** Parts of multipart uploads received, failed or refused ones excluded. */
    public long partsUploaded() {
        return partsUploaded.get();
    }

    /** Of {@link #partsUploaded()}, those whose bytes the store read from a local file (not given in memory). */
    public long partsUploadedFromFiles() {
        return partsFromFiles.get();
    }

    /** Multipart uploads begun and neither completed nor aborted. */
    public int multipartsInProgress() {
        return multiparts.size();
    }

    private <T> CompletableFuture<T> onStoreThread(String key, String what, java.util.function.Supplier<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                try {
                    result.complete(work.get());
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new ObjectStoreException(Kind.UNAVAILABLE, bucket, key,
                    what + " refused: store is closed", e));
        }
        return result;
    }

    private void checkCondition(String key, Entry current, boolean ifNoneMatch, @Nullable String ifMatchEtag) {
        if (ifNoneMatch && current != null) {
            throw new ObjectStoreException(Kind.CHANGED, bucket, key,
                    "upload If-None-Match * refused: the object exists (ETag " + current.meta().etag() + ")");
        }
        if (ifMatchEtag != null && (current == null || !current.meta().etag().equals(unquote(ifMatchEtag)))) {
            throw new ObjectStoreException(Kind.CHANGED, bucket, key, "upload If-Match " + ifMatchEtag + " refused: "
                    + (current == null ? "the object is gone" : "the object has ETag " + current.meta().etag()));
        }
    }

    @Override
    public Optional<Map<String, String>> userMetadata(String key) {
        heads.incrementAndGet();
        refuseWhileUnreachable(key, "HEAD");
        Entry e = objects.get(requireNonNull(key, "key is null"));
        return e == null ? Optional.empty() : Optional.of(e.userMetadata());
    }

    @Override
    public ObjectMeta copy(String fromKey, String etag, String toKey) {
        requireNonNull(fromKey, "fromKey is null");
        requireNonNull(etag, "etag is null");
        requireNonNull(toKey, "toKey is null");
        beforeWrite(toKey, "copy from " + fromKey);
        Entry source = objects.get(fromKey);
        if (source == null) {
            throw new ObjectStoreException(Kind.NOT_FOUND, bucket, fromKey, "copy to " + toKey + " failed: no such key");
        }
        if (!source.meta().etag().equals(unquote(etag))) {
            throw new ObjectStoreException(Kind.CHANGED, bucket, fromKey, "copy to " + toKey + " If-Match " + etag
                    + " refused: the object has ETag " + source.meta().etag());
        }
        ObjectMeta meta = new ObjectMeta(toKey, source.meta().size(), source.meta().etag(), clock.instant());
        objects.put(toKey, new Entry(source.bytes(), meta, source.userMetadata()));
        return meta;
    }

    /** Uploads, copies and deletes received (including ones that failed or were refused). */
    public long writeCount() {
        return writes.get();
    }

    /** Fails the next {@code count} uploads, copies or deletes with {@code kind}, before they change anything. */
    public void failNextWrites(int count, Kind kind) {
        injectedWriteKind.set(requireNonNull(kind, "kind is null"));
        writeFailuresToInject.set(count);
    }

    private void beforeWrite(String key, String what) {
        writes.incrementAndGet();
        refuseWhileUnreachable(key, what);
        if (writeFailuresToInject.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
            throw new ObjectStoreException(requireNonNull(injectedWriteKind.get(), "never null"), bucket, key,
                    what + " failed: injected failure");
        }
    }

    private static Map<String, String> lowerCaseNames(Map<String, String> metadata) {
        Map<String, String> out = new HashMap<>();
        metadata.forEach((name, value) -> out.put(name.toLowerCase(Locale.ROOT), value));
        return Map.copyOf(out);
    }

    private static String unquote(String etag) {
        return etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"") ? etag.substring(1, etag.length() - 1) : etag;
    }

    /** GETs received (including ones that failed or were refused), zero-length reads excluded. */
    public long getCount() {
        return gets.get();
    }

    /** HEADs received (including refused ones). */
    public long headCount() {
        return heads.get();
    }

    /** LIST pages asked for (including refused ones). */
    public long listCount() {
        return lists.get();
    }

    /**
     * While true, every request fails as {@link Kind#UNREACHABLE}, as a store does when nothing answers (or its
     * circuit breaker is open).
     */
    public void setUnreachable(boolean value) {
        unreachable = value;
    }

    private void refuseWhileUnreachable(String key, String what) {
        if (unreachable) {
            throw new ObjectStoreException(Kind.UNREACHABLE, bucket, key, what + " not sent: the store is unreachable");
        }
    }

    /** Bytes delivered by successful GETs. */
    public long getBytes() {
        return getBytes.get();
    }

    /** Resets the request and byte counters to zero. */
    public void resetCounters() {
        gets.set(0);
        heads.set(0);
        lists.set(0);
        writes.set(0);
        getBytes.set(0);
    }

    /** Installs (or with {@code null}, removes) code to run before each GET is served. */
    public void setGetHook(GetHook hook) {
        this.hook.set(hook);
    }

    /** Fails the next {@code count} GETs with {@code kind}. */
    public void failNextGets(int count, Kind kind) {
        injectedKind.set(requireNonNull(kind, "kind is null"));
        failuresToInject.set(count);
    }

    @Override
    public String bucket() {
        return bucket;
    }

    @Override
    public Optional<ObjectMeta> head(String key) {
        heads.incrementAndGet();
        refuseWhileUnreachable(key, "HEAD");
        Entry e = objects.get(requireNonNull(key, "key is null"));
        return e == null ? Optional.empty() : Optional.of(e.meta());
    }

    @Override
    public ListPage list(String prefix, @Nullable String delimiter, @Nullable String continuationToken, int maxKeys) {
        if (maxKeys < 1) {
            throw new IllegalArgumentException("maxKeys must be at least 1: " + maxKeys);
        }
        String p = prefix == null ? "" : prefix;
        lists.incrementAndGet();
        refuseWhileUnreachable(p, "LIST");
        String d = delimiter == null ? "" : delimiter;
        int limit = Math.min(maxKeys, MAX_KEYS_CAP);
        String after = continuationToken == null ? null : decodeToken(continuationToken, p);

        NavigableMap<String, Entry> candidates = after == null
                ? objects.tailMap(p, true)
                : objects.tailMap(after, true);
        List<ObjectMeta> page = new ArrayList<>();
        List<String> prefixes = new ArrayList<>();
        String last = null;
        int count = 0;
        for (Map.Entry<String, Entry> e : candidates.entrySet()) {
            String key = e.getKey();
            if (!key.startsWith(p)) {
                break; // keys with the prefix are contiguous and start at the prefix: we are past them
            }
            int at = d.isEmpty() ? -1 : key.indexOf(d, p.length());
            String item = at < 0 ? key : key.substring(0, at + d.length());
            if (after != null && compareUtf8(item, after) <= 0) {
                continue; // already returned (a key, or a common prefix rolling up this key)
            }
            if (item.equals(last)) {
                continue; // same common prefix as the previous key
            }
            if (count == limit) {
                return new ListPage(page, prefixes, encodeToken(requireNonNull(last, "a full page has a last item")));
            }
            if (at < 0) {
                page.add(e.getValue().meta());
            } else {
                prefixes.add(item);
            }
            last = item;
            count++;
        }
        return new ListPage(page, prefixes, null);
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
        gets.incrementAndGet();
        if (unreachable) {
            return CompletableFuture.failedFuture(new ObjectStoreException(Kind.UNREACHABLE, bucket, key,
                    "GET not sent: the store is unreachable"));
        }
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                try {
                    result.complete(serveGet(key, etag, offset, length));
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new ObjectStoreException(Kind.UNAVAILABLE, bucket, key, "GET refused: store is closed", e));
        }
        return result;
    }

    private byte[] serveGet(String key, String etag, long offset, int length) throws Exception {
        String what = "GET bytes=" + offset + "-" + (offset + length - 1) + " If-Match " + etag;
        GetHook h = hook.get();
        if (h != null) {
            h.beforeGet(key, offset, length);
        }
        if (failuresToInject.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
            throw new ObjectStoreException(requireNonNull(injectedKind.get(), "never null"), bucket, key,
                    what + " failed: injected failure");
        }
        Entry e = objects.get(key);
        if (e == null) {
            throw new ObjectStoreException(Kind.NOT_FOUND, bucket, key, what + " failed: no such key");
        }
        if (!e.meta().etag().equals(etag)) {
            throw new ObjectStoreException(Kind.CHANGED, bucket, key,
                    what + " failed: precondition failed, current ETag " + e.meta().etag());
        }
        if (offset >= e.bytes().length) {
            return new byte[0];
        }
        int end = (int) Math.min(e.bytes().length, offset + length);
        byte[] out = Arrays.copyOfRange(e.bytes(), (int) offset, end);
        getBytes.addAndGet(out.length);
        return out;
    }

    /** Stops the store's thread; later GETs are refused. */
    @Override
    public void close() {
        executor.shutdownNow();
    }

    /** Orders strings as S3 orders keys: by their UTF-8 bytes, which is Unicode code point order. */
    static int compareUtf8(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    private static String encodeToken(String lastReturned) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(lastReturned.getBytes(UTF_8));
    }

    private String decodeToken(String token, String prefix) {
        try {
            return new String(Base64.getUrlDecoder().decode(token), UTF_8);
        } catch (IllegalArgumentException e) {
            throw new ObjectStoreException(Kind.IO, bucket, prefix, "LIST failed: invalid continuation token", e);
        }
    }

    private static String md5Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is a required JDK algorithm", e);
        }
    }

    /** The current bytes of an object, for test assertions. */
    public Optional<byte[]> contents(String key) {
        Entry e = objects.get(requireNonNull(key, "key is null"));
        return e == null ? Optional.empty() : Optional.of(e.bytes().clone());
    }
}
