package io.prefetchd.benchmarks.scale;

import io.prefetchd.gateway.s3.ListPage;
import io.prefetchd.gateway.s3.ObjectMeta;
import io.prefetchd.gateway.s3.ObjectStore;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * An object store that only lists, in key order, {@code folders} folders {@code <root>c00042/} of {@code perFolder}
 * objects {@code s00042017.jpg} each, computed as each page is asked for: nothing per object is held, so a listing of
 * 10 M objects costs the store no heap. Each object has a 32-hex-digit ETag and its own size and mtime. Flat listings
 * of {@code root} only (what pinning a dataset's folder sends); every other call fails.
 */
record SyntheticTreeStore(String root, int folders, int perFolder) implements ObjectStore {
    private static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");

    String folderName(int folder) {
        return String.format(Locale.ROOT, "c%05d", folder);
    }

    String objectName(int folder, int object) {
        return String.format(Locale.ROOT, "s%08d.jpg", (long) folder * perFolder + object);
    }

    long size(int folder, int object) {
        return 100_000 + ((long) folder * perFolder + object) % 4096;
    }

    @Override
    public String bucket() {
        return "synthetic";
    }

    @Override
    public Optional<ObjectMeta> head(String key) {
        throw new UnsupportedOperationException("list only");
    }

    @Override
    public ListPage list(String prefix, @Nullable String delimiter, @Nullable String continuationToken, int maxKeys) {
        if (!prefix.equals(root) || delimiter != null) {
            throw new UnsupportedOperationException("only flat listings of " + root + ", not " + prefix);
        }
        long total = (long) folders * perFolder;
        long from = continuationToken == null ? 0 : Long.parseLong(continuationToken);
        long to = Math.min(total, from + maxKeys);
        List<ObjectMeta> page = new ArrayList<>((int) (to - from));
        for (long i = from; i < to; i++) {
            int folder = (int) (i / perFolder);
            int object = (int) (i % perFolder);
            page.add(new ObjectMeta(root + folderName(folder) + "/" + objectName(folder, object), size(folder, object),
                    etag(i), EPOCH.plusSeconds(i)));
        }
        return new ListPage(page, List.of(), to < total ? Long.toString(to) : null);
    }

    private static String etag(long i) {
        long a = i * 0x9E3779B97F4A7C15L;
        long b = Long.rotateLeft(a, 31) ^ 0xD6E8FEB86659FD93L;
        return hex16(a) + hex16(b);
    }

    private static String hex16(long v) {
        String h = Long.toHexString(v);
        return "0".repeat(16 - h.length()) + h;
    }

    @Override
    public CompletableFuture<byte[]> getRange(String key, String etag, long offset, int length) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("list only"));
    }

    @Override
    public void close() {
    }
}
