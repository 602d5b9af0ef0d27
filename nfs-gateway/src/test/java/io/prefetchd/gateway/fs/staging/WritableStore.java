package io.prefetchd.gateway.fs.staging;

import com.google.common.util.concurrent.Uninterruptibles;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import io.prefetchd.gateway.s3.ListPage;
import io.prefetchd.gateway.s3.ObjectMeta;
import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.s3.ObjectStoreException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A fake store taking writes, over an {@link InMemoryObjectStore}: {@link #upload} reads the staged file and puts
 * it, checking the conditions as S3 does; {@link #copy} keeps user metadata. Test hooks: {@link #failUploads} fails
 * the next uploads, {@link #holdUploads} keeps them running until {@link #releaseUploads}, and every upload,
 * copy and delete is counted.
 */
final class WritableStore implements ObjectStore {
    private record Held(String key, byte[] bytes, Map<String, String> metadata, CompletableFuture<ObjectMeta> result) {
    }

    final InMemoryObjectStore objects;
    private final Map<String, Map<String, String>> metadata = new ConcurrentHashMap<>();
    private final AtomicInteger failures = new AtomicInteger();
    private volatile ObjectStoreException.Kind failureKind = ObjectStoreException.Kind.UNAVAILABLE;
    private volatile boolean failWithoutMessage;
    private final List<Held> held = new ArrayList<>();
    private volatile boolean hold;
    final AtomicInteger uploads = new AtomicInteger();
    final AtomicInteger copies = new AtomicInteger();
    final AtomicInteger deletes = new AtomicInteger();
    private final AtomicInteger copiesLeft = new AtomicInteger(-1);
    private volatile @Nullable CountDownLatch copyEntered;
    private volatile @Nullable CountDownLatch copyRelease;

    WritableStore(InMemoryObjectStore objects) {
        this.objects = objects;
    }

    void failUploads(int count) {
        failUploads(count, ObjectStoreException.Kind.UNAVAILABLE);
    }

    /** Fails the next {@code count} uploads with {@code kind}: UNAVAILABLE is a 503, UNREACHABLE S3 not answering. */
    void failUploads(int count, ObjectStoreException.Kind kind) {
        failureKind = kind;
        failWithoutMessage = false;
        failures.set(count);
    }

    /** Fails the next {@code count} uploads with an exception that carries no message. */
    void failUploadsWithoutMessage(int count) {
        failWithoutMessage = true;
        failures.set(count);
    }

    /** Fails every copy after the next {@code count} (-1: none fails). */
    void failCopiesAfter(int count) {
        copiesLeft.set(count);
    }

    /**
     * Makes the next copies count down {@code entered}, then wait until {@code release} is counted down, as a copy
     * a crash cuts short.
     */
    void holdCopies(CountDownLatch entered, CountDownLatch release) {
        copyEntered = entered;
        copyRelease = release;
    }

    void holdUploads() {
        hold = true;
    }

    /** Uploads from now on land at once; those held so far stay held until {@link #releaseUploads}. */
    void stopHolding() {
        hold = false;
    }

    /** Lets the held uploads land (each with the bytes its file had when it started), in order. */
    void releaseUploads() {
        hold = false;
        List<Held> all;
        synchronized (held) {
            all = new ArrayList<>(held);
            held.clear();
        }
        for (Held h : all) {
            h.result().complete(store(h.key(), h.bytes(), h.metadata()));
        }
    }

    Map<String, String> metadata(String key) {
        return metadata.get(key);
    }

    String content(String key) {
        return objects.contents(key).map(b -> new String(b, java.nio.charset.StandardCharsets.UTF_8)).orElse(null);
    }

    @Override
    public CompletableFuture<ObjectMeta> upload(String key, Path file, Map<String, String> meta, boolean ifNoneMatch,
                                                String ifMatchEtag) {
        uploads.incrementAndGet();
        if (failures.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
            if (failWithoutMessage) {
                return CompletableFuture.failedFuture(new IllegalStateException());
            }
            return CompletableFuture.failedFuture(new ObjectStoreException(failureKind, bucket(), key,
                    failureKind == ObjectStoreException.Kind.UNREACHABLE ? "PUT not sent: S3 is unreachable"
                            : "PUT failed: injected 503"));
        }
        Optional<ObjectMeta> now = objects.head(key);
        if (ifNoneMatch && now.isPresent() || ifMatchEtag != null
                && !now.map(m -> m.etag().equals(ifMatchEtag)).orElse(false)) {
            return CompletableFuture.failedFuture(new ObjectStoreException(ObjectStoreException.Kind.CHANGED,
                    bucket(), key, "PUT failed: 412 PreconditionFailed"));
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new ObjectStoreException(ObjectStoreException.Kind.IO, bucket(),
                    key, "PUT failed: " + e));
        }
        if (hold) {
            CompletableFuture<ObjectMeta> f = new CompletableFuture<>();
            synchronized (held) {
                held.add(new Held(key, bytes, Map.copyOf(meta), f));
            }
            return f;
        }
        return CompletableFuture.completedFuture(store(key, bytes, meta));
    }

    private ObjectMeta store(String key, byte[] bytes, Map<String, String> meta) {
        objects.put(key, bytes);
        metadata.put(key, Map.copyOf(meta));
        return objects.head(key).orElseThrow();
    }

    @Override
    public Optional<Map<String, String>> userMetadata(String key) {
        return objects.head(key).map(m -> metadata.getOrDefault(key, Map.of()));
    }

    @Override
    public ObjectMeta copy(String fromKey, String etag, String toKey) {
        copies.incrementAndGet();
        CountDownLatch entered = copyEntered;
        CountDownLatch release = copyRelease;
        if (entered != null && release != null) {
            entered.countDown();
            Uninterruptibles.awaitUninterruptibly(release);
        }
        if (copiesLeft.get() >= 0 && copiesLeft.getAndDecrement() == 0) {
            copiesLeft.set(0);
            throw new ObjectStoreException(ObjectStoreException.Kind.UNAVAILABLE, bucket(), fromKey,
                    "COPY failed: injected 503");
        }
        ObjectMeta m = objects.head(fromKey).orElseThrow(() -> new ObjectStoreException(
                ObjectStoreException.Kind.NOT_FOUND, bucket(), fromKey, "COPY failed: no such key"));
        if (!m.etag().equals(etag)) {
            throw new ObjectStoreException(ObjectStoreException.Kind.CHANGED, bucket(), fromKey, "COPY failed: 412");
        }
        return store(toKey, objects.contents(fromKey).orElseThrow(), metadata.getOrDefault(fromKey, Map.of()));
    }

    @Override
    public void delete(String key) {
        deletes.incrementAndGet();
        objects.delete(key);
        metadata.remove(key);
    }

    @Override
    public boolean delete(String key, String etag) {
        deletes.incrementAndGet();
        boolean deleted = objects.delete(key, etag);
        if (deleted) {
            metadata.remove(key);
        }
        return deleted;
    }

    @Override
    public String bucket() {
        return objects.bucket();
    }

    @Override
    public Optional<ObjectMeta> head(String key) {
        return objects.head(key);
    }

    @Override
    public ListPage list(String prefix, String delimiter, String continuationToken, int maxKeys) {
        return objects.list(prefix, delimiter, continuationToken, maxKeys);
    }

    @Override
    public CompletableFuture<byte[]> getRange(String key, String etag, long offset, int length) {
        return objects.getRange(key, etag, offset, length);
    }

    @Override
    public void close() {
        objects.close();
    }
}
