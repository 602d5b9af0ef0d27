package io.prefetchd.gateway.index;

import io.prefetchd.formats.ObjectRef;
import io.prefetchd.formats.RangeSource;
import io.prefetchd.gateway.s3.ListPage;
import io.prefetchd.gateway.s3.ObjectMeta;
import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.s3.ObjectStoreException;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * The dataset-formats {@link RangeSource} over the gateway's {@link ObjectStore}: listing pages through
 * ListObjectsV2 (the paged listing holds one page at a time), reads are ranged GETs conditional on the ETag the
 * index was built from (a replaced object fails the read instead of mixing versions), and a stream reads ahead
 * one chunk while the caller consumes the previous one. Thread-safe, as the store is.
 */
public final class ObjectStoreRangeSource implements RangeSource {
    static final int STREAM_CHUNK = 8 << 20;
    /** Keys a ListObjectsV2 page asks for: S3's largest page. */
    static final int LIST_PAGE = 1000;

    private final ObjectStore store;
    private final int listPage;

    public ObjectStoreRangeSource(ObjectStore store) {
        this(store, LIST_PAGE);
    }

    ObjectStoreRangeSource(ObjectStore store, int listPage) {
        this.store = requireNonNull(store, "store is null");
        if (listPage < 1) {
            throw new IllegalArgumentException("listPage must be at least 1: " + listPage);
        }
        this.listPage = listPage;
    }

    @Override
    public List<ObjectRef> list(String prefix) throws IOException {
        List<ObjectRef> out = new ArrayList<>();
        list(prefix, out::add);
        return out;
    }

    /** Asks for the next page only once {@code each} has taken every object of the one before. */
    @Override
    public void list(String prefix, ListingConsumer each) throws IOException {
        requireNonNull(prefix, "prefix is null");
        requireNonNull(each, "each is null");
        String token = null;
        do {
            ListPage page;
            try {
                page = store.list(prefix, null, token, listPage);
            } catch (ObjectStoreException e) {
                throw new IOException(e.getMessage(), e);
            }
            for (ObjectMeta m : page.objects()) {
                if (!m.key().endsWith("/")) {
                    each.accept(new ObjectRef(m.key(), m.size(), m.etag()));
                }
            }
            token = page.nextToken();
        } while (token != null);
    }

    @Override
    public Optional<ObjectRef> head(String key) throws IOException {
        try {
            return store.head(key).map(m -> new ObjectRef(m.key(), m.size(), m.etag()));
        } catch (ObjectStoreException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    @Override
    public byte[] read(ObjectRef object, long offset, int length) throws IOException {
        return get(fetch(object, offset, length));
    }

    private CompletableFuture<byte[]> fetch(ObjectRef object, long offset, int length) {
        int n = (int) Math.max(0, Math.min(length, object.size() - offset));
        return n == 0 ? CompletableFuture.completedFuture(new byte[0])
                : store.getRange(object.key(), object.etag(), offset, n);
    }

    private static byte[] get(CompletableFuture<byte[]> f) throws IOException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            Throwable c = requireNonNull(e.getCause(), "a failed future's ExecutionException carries its cause");
            throw new IOException(c.getMessage(), c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    @Override
    public InputStream stream(ObjectRef object) {
        return new InputStream() {
            private long next;
            private byte[] chunk = new byte[0];
            private int pos;
            private @Nullable CompletableFuture<byte[]> ahead = start();   // null past the end

            private CompletableFuture<byte[]> start() {
                CompletableFuture<byte[]> f = fetch(object, next, STREAM_CHUNK);
                next = Math.min(object.size(), next + STREAM_CHUNK);
                return f;
            }

            private boolean fill() throws IOException {
                while (pos >= chunk.length) {
                    if (ahead == null) {
                        return false;
                    }
                    chunk = get(ahead);
                    pos = 0;
                    ahead = next < object.size() ? start() : null;
                    if (chunk.length == 0 && ahead == null) {
                        return false;
                    }
                }
                return true;
            }

            @Override
            public int read() throws IOException {
                return fill() ? chunk[pos++] & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                if (!fill()) {
                    return -1;
                }
                int n = Math.min(len, chunk.length - pos);
                System.arraycopy(chunk, pos, b, off, n);
                pos += n;
                return n;
            }

            @Override
            public void close() {
                if (ahead != null) {
                    ahead.cancel(false);
                    ahead = null;
                }
            }
        };
    }
}
