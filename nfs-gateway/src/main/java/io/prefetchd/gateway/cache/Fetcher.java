package io.prefetchd.gateway.cache;

import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.s3.ObjectStoreException;
import io.prefetchd.gateway.s3.ObjectStoreException.Kind;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches claimed blocks and puts them on disk. Claimed blocks go out in runs of neighbours, one ranged GET per
 * run (at most {@code maxRunBytes}), with {@code If-Match} so S3 refuses (CHANGED) rather than return bytes of
 * another version. When a GET returns, the waiting readers get their bytes from memory at once; then each block
 * is written to a temporary file, renamed into place and indexed, and only then leaves the in-flight map.
 *
 * <p>A write that fails (typically ENOSPC on a shared disk) is retried once after evicting some more blocks; if
 * that fails too, or there is no room, the bytes were still served from memory and a write failure is counted.
 * Blocks are written on the thread that completes the GET (the SDK's completion executor, or the fake store's
 * thread), after the readers have been handed their bytes. Thread-safe.
 */
final class Fetcher {
    private static final Logger log = LoggerFactory.getLogger(Fetcher.class);
    /** After a failed write, evict at least this many grains' worth of blocks before the one retry. */
    private static final int ENOSPC_RELIEF_GRAINS = 16;

    private final ObjectStore store;
    private final String bucket;
    private final int grain;
    private final int maxRunBytes;
    private final CacheFolder folder;
    private final BlockIndex index;
    private final CacheMeters meters;
    private final Clock clock;

    Fetcher(ObjectStore store, int grain, int maxRunBytes, CacheFolder folder, BlockIndex index, CacheMeters meters,
            Clock clock) {
        this.store = store;
        this.bucket = store.bucket();
        this.grain = grain;
        this.maxRunBytes = maxRunBytes;
        this.folder = folder;
        this.index = index;
        this.meters = meters;
        this.clock = clock;
    }

    /**
     * Sends one ranged GET per run of claimed blocks that follow each other byte for byte (at most
     * {@code maxRunBytes}, or one block when a block alone is larger).
     */
    void start(ObjectVersion object, List<Fetch> claimed) {
        int start = 0;
        long runBytes = 0;
        for (int k = 0; k <= claimed.size(); k++) {
            boolean runEnds = k == claimed.size() || k > start
                    && (claimed.get(k).key.start() != claimed.get(k - 1).key.end()
                    || runBytes + claimed.get(k).key.length() > maxRunBytes);
            if (runEnds && k > start) {
                startRun(object, List.copyOf(claimed.subList(start, k)));
                start = k;
                runBytes = 0;
            }
            if (k < claimed.size()) {
                runBytes += claimed.get(k).key.length();
            }
        }
    }

    private void startRun(ObjectVersion object, List<Fetch> run) {
        long offset = run.get(0).key.start();
        int length = (int) (run.get(run.size() - 1).key.end() - offset);
        CompletableFuture<byte[]> get;
        try {
            get = store.getRange(object.key(), object.etag(), offset, length);
        } catch (RuntimeException e) {
            get = CompletableFuture.failedFuture(e);
        }
        get.whenComplete((bytes, failure) -> {
            try {
                fetched(object, run, offset, length, bytes, failure);
            } catch (RuntimeException e) {
                // never leave readers waiting or blocks stuck in flight
                log.error("unexpected failure finishing GET of s3://{}/{} bytes {}+{}", bucket, object.key(), offset,
                        length, e);
                fail(run, e);
            }
        });
    }

    /**
     * A run's bytes arrived ({@code failure} null) or did not: hands them to the readers, then writes each block.
     * Also how offered bytes enter the cache, as a GET that returned them.
     */
    void fetched(ObjectVersion object, List<Fetch> run, long offset, int length, byte[] bytes,
            @Nullable Throwable failure) {
        if (failure == null && bytes.length != length) {
            failure = shortRead(bucket, object, offset, length, bytes.length);
        }
        if (failure != null) {
            fail(run, failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure);
            return;
        }
        byte[][] blocks = new byte[run.size()][];
        if (run.size() == 1) {
            blocks[0] = bytes;   // exactly the block (checked above): no copy; nothing else keeps the array
        } else {
            for (int k = 0; k < run.size(); k++) {
                int from = (int) (run.get(k).key.start() - offset);
                blocks[k] = Arrays.copyOfRange(bytes, from, from + run.get(k).key.length());
            }
        }
        // readers first: they have waited long enough
        for (int k = 0; k < run.size(); k++) {
            run.get(k).future.complete(blocks[k]);
        }
        for (int k = 0; k < run.size(); k++) {
            persist(object, run.get(k), blocks[k]);
        }
    }

    /** Takes {@code run} out of flight and fails its readers and its storing with {@code failure}. */
    void fail(List<Fetch> run, Throwable failure) {
        index.settleFailed(run);
        for (Fetch fetch : run) {
            fetch.future.completeExceptionally(failure);
            fetch.stored.completeExceptionally(failure);
        }
    }

    static ObjectStoreException shortRead(String bucket, ObjectVersion object, long offset, int expected,
            int actual) {
        return new ObjectStoreException(Kind.IO, bucket, object.key(), "GET bytes " + offset + "+" + expected
                + " returned " + actual + " bytes; the object is shorter than its size " + object.size()
                + " says (etag " + object.etag() + ")");
    }

    /** Writes a fetched block to disk and indexes it; always takes the block out of the in-flight map. */
    private void persist(ObjectVersion object, Fetch fetch, byte[] data) {
        BlockKey key = fetch.key;
        long reserved = 0;
        Path tmp = null;
        String notWritten = "the cache is closing";
        try {
            byte[] header = BlockFormat.header(bucket, object, grain, key.start(), data);
            if (header.length > BlockTable.MAX_HEADER_BYTES) {
                notWritten = "its block header of " + header.length + " bytes is too long to index";
                return;
            }
            long fileBytes = (long) header.length + data.length;
            if (!index.reserve(fileBytes)) {
                notWritten = "no room: held blocks and writes in progress fill the capacity";
                return;
            }
            reserved = fileBytes;
            tmp = folder.tempFor(key);
            Instant now = clock.instant();
            writeWithOneRetry(tmp, header, data, fileBytes);
            folder.setLastModified(tmp, now); // orders blocks should the index be lost and the folders listed
            if (index.commit(fetch, tmp, header.length)) {
                tmp = null;
                reserved = 0; // the reservation is now the block's
                notWritten = null;
            }
        } catch (IOException | RuntimeException e) {
            notWritten = "write failed: " + e;
            meters.writeFailures.increment();
            log.warn("cannot cache bytes {}+{} of s3://{}/{} on disk, served from memory: {}", key.start(),
                    key.length(), bucket, object.key(), e.toString());
        } finally {
            if (tmp != null) {
                folder.deleteQuietly(tmp);
            }
            index.settle(fetch, reserved);
            if (notWritten == null) {
                fetch.stored.complete(null);
            } else {
                fetch.stored.completeExceptionally(new IOException("bytes " + key.start() + "+" + key.length()
                        + " of s3://" + bucket + "/" + object.key() + " were fetched but not cached: " + notWritten));
            }
        }
    }

    /** Writes the temp file; on failure evicts some blocks (the disk may be full) and tries once more. */
    private void writeWithOneRetry(Path tmp, byte[] header, byte[] data, long fileBytes) throws IOException {
        try {
            folder.write(tmp, header, data);
        } catch (IOException first) {
            folder.deleteQuietly(tmp);
            long freed = index.relieve(Math.max(fileBytes, (long) ENOSPC_RELIEF_GRAINS * grain));
            log.warn("writing cache block {} failed ({}); evicted {} bytes and retrying once", tmp, first.toString(),
                    freed);
            try {
                folder.write(tmp, header, data);
            } catch (IOException second) {
                second.addSuppressed(first);
                throw second;
            }
        }
    }
}
