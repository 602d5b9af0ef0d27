package io.prefetchd.gateway.cache;

import io.prefetchd.gateway.cache.ExtentCache.CachedRead;
import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.s3.ObjectStoreException;
import io.prefetchd.gateway.s3.ObjectStoreException.Kind;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache's one read path. A read claims its range's blocks ({@link BlockIndex#claim}), reads the cached ones
 * from disk on the caller's thread, and completes when the fetched ones arrive: then only their bytes, already in
 * memory, are copied, on the thread that delivered the last of them.
 *
 * <p>A reader reads a whole block file into memory with one open, then verifies it ({@link BlockFormat}), so a
 * concurrent eviction either happens before the open (the reader sees no file and re-fetches) or after (the reader
 * already has the bytes). A block whose file is missing, short, long, misnamed or fails a checksum is dropped,
 * counted ({@code corruptDropped}) and claimed again, never served; one that keeps failing is read straight from
 * the store. Blocks still missing after {@code demandTimeout} fail the read UNAVAILABLE. Thread-safe.
 */
final class BlockReader {
    private static final Logger log = LoggerFactory.getLogger(BlockReader.class);
    private static final byte[] EMPTY = new byte[0];
    /** Re-fetch attempts for a block whose file keeps failing verification before bypassing the disk. */
    private static final int MAX_BLOCK_ATTEMPTS = 3;

    /** A verified block: {@code length} bytes of {@code array} from {@code offset}. */
    private record Block(byte[] array, int offset, int length, boolean hit) {
    }

    private final ObjectStore store;
    private final String bucket;
    private final int grain;
    private final CacheFolder folder;
    private final BlockIndex index;
    private final Fetcher fetcher;
    private final CacheMeters meters;
    private final Duration demandTimeout;
    private final Runnable onJoinInFlight;

    BlockReader(ObjectStore store, int grain, CacheFolder folder, BlockIndex index, Fetcher fetcher,
            CacheMeters meters, Duration demandTimeout, Runnable onJoinInFlight) {
        this.store = store;
        this.bucket = store.bucket();
        this.grain = grain;
        this.folder = folder;
        this.index = index;
        this.fetcher = fetcher;
        this.meters = meters;
        this.demandTimeout = demandTimeout;
        this.onJoinInFlight = onJoinInFlight;
    }

    /** See {@link ExtentCache#readAsync}; arguments are checked by the caller. */
    CompletableFuture<CachedRead> read(ObjectVersion object, long offset, int length) {
        if (length == 0 || offset >= object.size()) {
            index.checkAccepting();
            return CompletableFuture.completedFuture(new CachedRead(EMPTY, 0, 0));
        }
        long end = Math.min(object.size(), offset + length);
        ObjectId id = ObjectId.of(bucket, object);
        ReadPart[] parts = claim(object, id, offset, end);
        Block[] blocks = new Block[parts.length];
        List<CompletableFuture<byte[]>> waits = new ArrayList<>();
        try {
            for (int k = 0; k < parts.length; k++) {
                ReadPart part = parts[k];
                if (part.onDisk()) {
                    Block cached = readCached(object, part.key(), part.slot());
                    if (cached != null) {
                        blocks[k] = cached;
                        continue;
                    }
                    ReadPart[] again = claim(object, id, part.key().start(), part.key().end());
                    if (again.length != 1 || !again[0].key().equals(part.key()) || again[0].onDisk()) {
                        blocks[k] = resolve(object, id, part); // cut differently meanwhile, or on disk again
                        continue;
                    }
                    parts[k] = part = again[0];
                }
                if (!part.fetch().isDone()) {
                    waits.add(part.fetch());
                }
            }
            if (waits.isEmpty()) {
                return CompletableFuture.completedFuture(fill(object, id, offset, end, parts, blocks, 0));
            }
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        long started = System.nanoTime();
        return CompletableFuture.allOf(waits.toArray(new CompletableFuture<?>[0]))
                .orTimeout(demandTimeout.toNanos(), TimeUnit.NANOSECONDS)
                .handle((ignored, failure) -> {
                    if (failure instanceof TimeoutException
                            || failure instanceof CompletionException && failure.getCause() instanceof TimeoutException) {
                        throw new ObjectStoreException(Kind.UNAVAILABLE, bucket, object.key(), "read of bytes " + offset
                                + "+" + (end - offset) + " (etag " + object.etag() + ") not fetched within "
                                + demandTimeout, failure);
                    }
                    return fill(object, id, offset, end, parts, blocks, System.nanoTime() - started);
                });
    }

    /** Claims the blocks of {@code [offset, end)} and starts the GETs of those this read claimed. */
    private ReadPart[] claim(ObjectVersion object, ObjectId id, long offset, long end) {
        BlockIndex.Claim claim = index.claim(id, object.size(), offset, end);
        if (claim.joined()) {
            onJoinInFlight.run();
        }
        fetcher.start(object, claim.claimed());
        return claim.parts();
    }

    /** Resolves the blocks not resolved yet (fetched ones, complete by now) and assembles the read. */
    private CachedRead fill(ObjectVersion object, ObjectId id, long offset, long end, ReadPart[] parts,
            Block[] blocks, long waited) {
        for (int k = 0; k < parts.length; k++) {
            if (blocks[k] == null) {
                blocks[k] = resolve(object, id, parts[k]);
            }
        }
        return assemble(offset, end, parts, blocks, waited);
    }

    /** Copies the blocks' bytes of {@code [offset, end)} out and counts hits and misses. */
    private CachedRead assemble(long offset, long end, ReadPart[] parts, Block[] blocks, long waited) {
        byte[] out = new byte[(int) (end - offset)];
        int missed = 0;
        for (int k = 0; k < parts.length; k++) {
            ReadPart part = parts[k];
            Block block = blocks[k];
            boolean hit = block.hit() || part.arrived();
            long blockStart = part.key().start();
            long from = Math.max(offset, blockStart);
            long to = Math.min(end, blockStart + block.length());
            int n = (int) (to - from);
            System.arraycopy(block.array(), block.offset() + (int) (from - blockStart), out, (int) (from - offset), n);
            if (hit) {
                meters.hits.increment();
                meters.hitBytes.add(n);
            } else {
                missed++;
                meters.misses.increment();
                meters.missBytes.add(n);
            }
        }
        return new CachedRead(out, missed, waited);
    }

    /** The verified bytes of one block: from its file, or from its fetch. */
    private Block resolve(ObjectVersion object, ObjectId id, ReadPart part) {
        BlockKey wanted = part.key();
        for (int attempt = 1; ; attempt++) {
            if (!part.onDisk()) {
                byte[] data = await(part.fetch(), object, part.key());
                return new Block(data, 0, data.length, false);
            }
            Block cached = readCached(object, part.key(), part.slot());
            if (cached != null) {
                return cached;
            }
            if (attempt == MAX_BLOCK_ATTEMPTS) {
                break;
            }
            ReadPart[] again = claim(object, id, wanted.start(), wanted.end());
            if (again.length != 1 || !again[0].key().equals(wanted)) {
                break; // the range is now cut differently: read it straight from the store
            }
            part = again[0];
        }
        // the disk keeps handing back bad files for this block: serve it straight from the store
        log.warn("bytes {}+{} of s3://{}/{} failed verification {} times; reading them from the object store "
                + "directly", wanted.start(), wanted.length(), bucket, object.key(), MAX_BLOCK_ATTEMPTS);
        CompletableFuture<byte[]> direct;
        try {
            direct = store.getRange(object.key(), object.etag(), wanted.start(), wanted.length());
        } catch (RuntimeException e) {
            direct = CompletableFuture.failedFuture(e);
        }
        byte[] data = await(direct, object, wanted);
        if (data.length != wanted.length()) {
            throw Fetcher.shortRead(bucket, object, wanted.start(), wanted.length(), data.length);
        }
        return new Block(data, 0, data.length, false);
    }

    /** The block's verified bytes from disk, or null after dropping a missing or bad file from the index. */
    private @Nullable Block readCached(ObjectVersion object, BlockKey key, int slot) {
        byte[] raw;
        try {
            raw = folder.read(key);
        } catch (NoSuchFileException e) {
            index.forget(key, slot); // evicted between our look-up and the open, or removed by someone
            return null;
        } catch (IOException e) {
            dropCorrupt(key, slot, "unreadable: " + e);
            return null;
        }
        try {
            int offset = BlockFormat.verify(raw, bucket, object, grain, key.start(), key.length());
            return new Block(raw, offset, key.length(), true);
        } catch (BlockFormat.CorruptBlockException e) {
            dropCorrupt(key, slot, String.valueOf(e.getMessage()));
            return null;
        }
    }

    private void dropCorrupt(BlockKey key, int slot, String reason) {
        meters.corrupt.increment();
        log.warn("dropping corrupt cache block {}: {}", folder.pathOf(key), reason);
        index.forget(key, slot);
    }

    /** The fetched bytes; a failure names the block and keeps the store's kind of error. */
    private byte[] await(CompletableFuture<byte[]> future, ObjectVersion object, BlockKey key) {
        String what = "read of bytes " + key.start() + "+" + key.length() + " (etag " + object.etag() + ")";
        try {
            return future.get(demandTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException | CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof ObjectStoreException ose) {
                throw new ObjectStoreException(ose.kind(), bucket, object.key(), what + " failed: " + ose.getMessage(),
                        ose);
            }
            throw new ObjectStoreException(Kind.IO, bucket, object.key(), what + " failed: " + cause, cause);
        } catch (TimeoutException e) {
            throw new ObjectStoreException(Kind.UNAVAILABLE, bucket, object.key(),
                    what + " not fetched within " + demandTimeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ObjectStoreException(Kind.UNAVAILABLE, bucket, object.key(), what + " interrupted", e);
        }
    }
}
