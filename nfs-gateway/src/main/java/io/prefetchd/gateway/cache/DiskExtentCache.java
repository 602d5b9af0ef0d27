package io.prefetchd.gateway.cache;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.MeterRegistry;
import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.s3.ObjectStoreException;
import io.prefetchd.gateway.s3.ObjectStoreException.Kind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link ExtentCache} keeping blocks of S3 objects in files on local disk: grain-aligned, and cut at sample
 * boundaries when the planner says where they are.
 *
 * <h2>Why small extents, not big blocks</h2>
 * Training reads samples of ~100 KB scattered through multi-GB shards in a fresh random order every epoch.
 * A 4-8 MiB cache block would turn each 100 KB read into megabytes of S3 traffic and evict useful data to
 * make room for bytes nobody asked for. So the unit is a small grain (128 KiB by default, a power of two
 * from 4 KiB to 256 KiB): a read fetches exactly the grains it touches, and runs of neighbouring missing
 * grains go out as one ranged GET so sequential reads still get big requests.
 *
 * <h2>Blocks follow samples</h2>
 * Grain-aligned blocks alone make neighbouring samples share a block (a 100 KB tar member straddles a grain
 * line), and fetching one sample then fetches bytes of its neighbour that may never stay cached until the
 * neighbour is read: 16-25% more S3 bytes than the samples at a 16 KiB grain, 3x at 128 KiB. So
 * {@link #cutAt} takes the sample boundaries of an object from the dataset index, and blocks fetched from then
 * on end at those offsets as well as at grain lines: a sample's bytes are its own blocks, and a read fetches
 * exactly them. A block is therefore a range {@code [start, start + length)} with {@code length <= grain};
 * blocks of an object never overlap, and a read is served by the cached or in-flight blocks its range meets
 * plus new blocks cut from the gaps between them (so blocks cut before a boundary was known stay valid).
 *
 * <h2>Identity</h2>
 * A block is named by (bucket, key, ETag, start, length). A new version of an object has a new ETag and so new
 * names; its bytes never mix with the old version's, and the old blocks simply age out. Readers
 * pass the {@link ObjectVersion} they opened; GETs carry {@code If-Match} so S3 refuses (CHANGED) rather
 * than returning bytes of another version.
 *
 * <h2>The parts</h2>
 * <ul>
 *   <li>{@link CacheFolder}: the block files on disk ({@link BlockFormat}: a checksummed header naming the block,
 *       then its bytes), written to a temporary file and renamed into place; the folder's lock and layout.
 *   <li>{@link BlockIndex}: every block on disk or in flight ({@link BlockTable}), and the in-flight map that
 *       makes a block one GET however many readers want it; {@link BlockCuts} cuts ranges into blocks.
 *   <li>{@link StoredBlocks}: the blocks on disk, their capacity and their eviction ({@link EvictionPolicy}).
 *   <li>{@link IndexJournal} and {@link IndexLoader}: the index on disk (a checkpoint plus a journal,
 *       {@link IndexFile}) kept in step while serving and loaded on open, or rebuilt by listing the folders.
 *   <li>{@link Fetcher}: coalesced ranged GETs, bytes handed to readers, then written to disk.
 *   <li>{@link BlockReader}: the one read path, {@link #readAsync}; {@link #readTracked} waits for it.
 *   <li>{@link CacheMeters}: the counters and the {@code prefetchd.cache.*} meters.
 * </ul>
 *
 * <h2>The crash story</h2>
 * A block file is either absent or complete as written, and every read checks its header and checksums; an
 * index entry whose file is gone or bad is dropped on first read and the block fetched again, and a block file
 * the index lost (a journal record lost with the power) is only unaccounted disk space, never served. So a
 * restart keeps the cache, and a crash costs at most the blocks that were being written.
 *
 * <h2>Prefetches and held blocks</h2>
 * {@link #prefetch} claims the missing blocks of a range exactly as a read does (so a later read joins the GET
 * instead of sending its own) but does not wait. With {@code hold} the range's blocks are <em>held</em>: they
 * are taken out of the eviction policy, so the cache never evicts them on its own, and go only when the
 * planner {@link #release}s them. Held blocks count towards the capacity like any other; when held blocks
 * fill it, new unheld blocks are served from memory and not written (the planner plans within the capacity
 * it was given, so this happens only when it was given too much).
 *
 * <h2>Thread-safety</h2>
 * All methods may be called from any thread. The {@link BlockIndex}'s lock guards what is shared (the table, the
 * in-flight map, the capacity, the journal and the block-file namespace); data is read, verified and written
 * outside it. One process (one cache instance) per directory, enforced by a file lock.
 */
public final class DiskExtentCache implements ExtentCache {
    private static final Logger log = LoggerFactory.getLogger(DiskExtentCache.class);

    public static final int DEFAULT_GRAIN_BYTES = 128 * 1024;
    public static final int MIN_GRAIN_BYTES = 4 * 1024;
    public static final int MAX_GRAIN_BYTES = 256 * 1024;
    static final String LAYOUT_PREFIX = "v2-g";
    /** Where blocks are written before they are renamed into place; emptied on open. */
    static final String TEMP_FOLDER = "tmp";

    /**
     * Knobs with production defaults, for tests and the planner
     * ({@link #open(Path, long, int, ObjectStore, MeterRegistry, Clock, Options)}).
     *
     * @param files the file operations (a fault-injecting one in tests)
     * @param policy makes the eviction policy over the cache's table of blocks
     * @param demandTimeout how long a read waits for a block being fetched before failing UNAVAILABLE
     * @param checkpointRecords a checkpoint is written while serving once the journal holds more records than
     *     this and than twice the blocks cached
     * @param checkpoints runs the writing of those checkpoints; null for a thread of the cache's own
     * @param closeTimeout how long {@link #close()} waits for fetches in flight to reach disk
     * @param maxRunBytes the largest coalesced GET
     * @param onJoinInFlight called once by each read that joined at least one fetch already in flight,
     *     before it sends its own GETs (lets tests know every reader is waiting, without sleeping)
     */
    record Options(
            BlockFiles files,
            Function<BlockTable, EvictionPolicy> policy,
            Duration demandTimeout,
            long checkpointRecords,
            @Nullable Executor checkpoints,
            Duration closeTimeout,
            int maxRunBytes,
            Runnable onJoinInFlight) {
        Options {
            requireNonNull(files, "files is null");
            requireNonNull(policy, "policy is null");
            requireNonNull(demandTimeout, "demandTimeout is null");
            requireNonNull(closeTimeout, "closeTimeout is null");
            requireNonNull(onJoinInFlight, "onJoinInFlight is null");
            if (checkpointRecords < 1) {
                throw new IllegalArgumentException("checkpointRecords must be positive: " + checkpointRecords);
            }
            if (maxRunBytes < 1) {
                throw new IllegalArgumentException("maxRunBytes must be positive: " + maxRunBytes);
            }
        }

        static Options defaults() {
            return new Options(BlockFiles.nio(), ClockPolicy::new, Duration.ofSeconds(60), 1L << 20, null,
                    Duration.ofSeconds(60), 8 * 1024 * 1024, () -> { });
        }

        Options withFiles(BlockFiles value) {
            return new Options(value, policy, demandTimeout, checkpointRecords, checkpoints, closeTimeout,
                    maxRunBytes, onJoinInFlight);
        }

        Options withPolicy(Function<BlockTable, EvictionPolicy> value) {
            return new Options(files, value, demandTimeout, checkpointRecords, checkpoints, closeTimeout,
                    maxRunBytes, onJoinInFlight);
        }

        Options withDemandTimeout(Duration value) {
            return new Options(files, policy, value, checkpointRecords, checkpoints, closeTimeout,
                    maxRunBytes, onJoinInFlight);
        }

        Options withCheckpointRecords(long value) {
            return new Options(files, policy, demandTimeout, value, checkpoints, closeTimeout, maxRunBytes,
                    onJoinInFlight);
        }

        Options withCheckpoints(Executor value) {
            return new Options(files, policy, demandTimeout, checkpointRecords, value, closeTimeout, maxRunBytes,
                    onJoinInFlight);
        }

        Options withMaxRunBytes(int value) {
            return new Options(files, policy, demandTimeout, checkpointRecords, checkpoints, closeTimeout,
                    value, onJoinInFlight);
        }

        Options withOnJoinInFlight(Runnable value) {
            return new Options(files, policy, demandTimeout, checkpointRecords, checkpoints, closeTimeout,
                    maxRunBytes, value);
        }
    }

    private final String bucket;
    private final int grain;
    private final Options options;
    private final MeterRegistry registry;
    private final CacheFolder folder;
    private final BlockCuts cuts;
    private final CacheMeters meters = new CacheMeters();
    private final BlockIndex index;
    private final Fetcher fetcher;
    private final BlockReader reader;

    /**
     * Opens (creating if needed) the cache in {@code dir}: loads its index, or lists the block files there when
     * the index is missing or fails its checks.
     *
     * @param dir the cache's own folder; nothing else should write there
     * @param capacityBytes the bound on block files, headers included; at least two grains
     * @param grainBytes the block size: a power of two from 4 KiB to 256 KiB ({@link #DEFAULT_GRAIN_BYTES})
     * @param store where missing bytes come from; not closed by the cache
     * @param registry where the {@code prefetchd.cache.*} meters go (removed again on close)
     * @param clock for block recency (file modification times)
     * @throws UncheckedIOException when the folder cannot be created, listed or locked
     */
    public static DiskExtentCache open(Path dir, long capacityBytes, int grainBytes, ObjectStore store,
            MeterRegistry registry, Clock clock) {
        return open(dir, capacityBytes, grainBytes, store, registry, clock, Options.defaults());
    }

    static DiskExtentCache open(Path dir, long capacityBytes, int grainBytes, ObjectStore store,
            MeterRegistry registry, Clock clock, Options options) {
        requireNonNull(dir, "dir is null");
        requireNonNull(store, "store is null");
        requireNonNull(registry, "registry is null");
        requireNonNull(clock, "clock is null");
        requireNonNull(options, "options is null");
        if (Integer.bitCount(grainBytes) != 1 || grainBytes < MIN_GRAIN_BYTES || grainBytes > MAX_GRAIN_BYTES) {
            throw new IllegalArgumentException("grainBytes must be a power of two from " + MIN_GRAIN_BYTES + " to "
                    + MAX_GRAIN_BYTES + ": " + grainBytes);
        }
        if (capacityBytes < 2L * grainBytes) {
            throw new IllegalArgumentException("capacityBytes must be at least two grains (" + 2L * grainBytes
                    + "): " + capacityBytes);
        }
        try {
            CacheFolder folder = CacheFolder.open(dir, grainBytes, options.files());
            try {
                return new DiskExtentCache(folder, capacityBytes, grainBytes, store, registry, clock, options);
            } catch (IOException | RuntimeException e) {
                folder.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open extent cache in " + dir, e);
        }
    }

    private DiskExtentCache(CacheFolder folder, long capacityBytes, int grainBytes, ObjectStore store,
            MeterRegistry registry, Clock clock, Options options) throws IOException {
        this.bucket = store.bucket();
        this.grain = grainBytes;
        this.options = options;
        this.registry = registry;
        this.folder = folder;
        this.cuts = new BlockCuts(Integer.numberOfTrailingZeros(grainBytes));
        IndexLoader.Loaded loaded = IndexLoader.load(folder, grainBytes, options.policy());
        this.index = new BlockIndex(folder, grainBytes, capacityBytes, loaded, cuts, meters,
                options.checkpointRecords(), options.checkpoints());
        this.fetcher = new Fetcher(store, grainBytes, options.maxRunBytes(), folder, index, meters, clock);
        this.reader = new BlockReader(store, grainBytes, folder, index, fetcher, meters, options.demandTimeout(),
                options.onJoinInFlight());
        meters.register(registry, capacityBytes, index::heldBlocks, index::usedBytes);
    }

    // ---------------------------------------------------------------- reads

    /**
     * {@link #readAsync}, waited for: the cache has one read path. A failure is rethrown as the read future carries
     * it (an {@link ObjectStoreException} naming the range, or the {@link IllegalStateException} of a closed cache).
     */
    @Override
    public CachedRead readTracked(ObjectVersion object, long offset, int length) {
        CompletableFuture<CachedRead> read = readAsync(object, offset, length);
        try {
            return read.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new ObjectStoreException(Kind.IO, bucket, object.key(), "read of bytes " + offset + "+" + length
                    + " (etag " + object.etag() + ") failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ObjectStoreException(Kind.UNAVAILABLE, bucket, object.key(), "read of bytes " + offset + "+"
                    + length + " (etag " + object.etag() + ") interrupted", e);
        }
    }

    /**
     * Reads the cached blocks now, on the caller's thread (local disk), and completes when the fetched ones arrive:
     * then only their bytes, already in memory, are copied, on the thread that delivered the last of them. A cached
     * block that turns out to be gone or corrupt is claimed again and, if it must be fetched, waited for like the
     * others (only if its range was cut differently meanwhile, or is back on disk, is it read on the caller's
     * thread, waiting). Blocks still missing after {@code demandTimeout} fail the read UNAVAILABLE.
     */
    @Override
    public CompletableFuture<CachedRead> readAsync(ObjectVersion object, long offset, int length) {
        requireNonNull(object, "object is null");
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("offset=" + offset + " length=" + length);
        }
        return reader.read(object, offset, length);
    }

    // ---------------------------------------------------------------- offers

    @Override
    public boolean offer(ObjectVersion object, ByteSource source) {
        requireNonNull(object, "object is null");
        requireNonNull(source, "source is null");
        if (object.size() == 0) {
            index.checkAccepting();
            return true;
        }
        // a settled fetch holds its block's bytes: each leaves this list once handled, or an offer of a large
        // object would keep all of it on the heap until its last block is on disk
        List<Fetch> claimed = new ArrayList<>(index.claimMissing(ObjectId.of(bucket, object), object.size()));
        boolean all = true;
        int k = 0;
        try {
            for (; k < claimed.size(); k++) {
                Fetch fetch = claimed.get(k);
                byte[] bytes;
                try {
                    bytes = source.read(fetch.key.start(), fetch.key.length());
                } catch (Exception e) {
                    log.warn("offered bytes of s3://{}/{} could not be read ({}); the rest is fetched from S3",
                            bucket, object.key(), e.toString());
                    List<Fetch> rest = List.copyOf(claimed.subList(k, claimed.size()));
                    k = claimed.size();   // handed to the fetcher: their GETs settle them
                    fetcher.start(object, rest);
                    return false;
                }
                // as a GET that returned them: readers joined meanwhile get them, then they are written to disk
                fetcher.fetched(object, List.of(fetch), fetch.key.start(), fetch.key.length(), bytes, null);
                all &= fetch.stored.isDone() && !fetch.stored.isCompletedExceptionally();
                claimed.set(k, null);
            }
        } catch (RuntimeException | Error e) {
            // no claim may outlive the offer: a block left in flight is never cached, and a read that joins it waits
            // for bytes that never come (failing a fetch already settled changes nothing)
            fetcher.fail(claimed.subList(k, claimed.size()), e);
            throw e;
        }
        return all;
    }

    @Override
    public boolean carry(ObjectVersion from, ObjectVersion to) {
        requireNonNull(from, "from is null");
        requireNonNull(to, "to is null");
        try {
            // a block of from evicted since the check is fetched from its key, which exists until the caller deletes it
            return from.size() == to.size() && from.size() > 0 && cachedWhole(from)
                    && offer(to, (offset, length) -> read(from, offset, length));
        } finally {
            release(from, 0, from.size(), true);
        }
    }

    private boolean cachedWhole(ObjectVersion object) {
        long next = 0;
        for (Range r : cachedRanges(object)) {
            if (r.offset() > next) {
                return false;
            }
            next = Math.max(next, r.offset() + r.length());
        }
        return next >= object.size();
    }

    // ---------------------------------------------------------------- prefetch and hold

    @Override
    public CompletableFuture<Void> prefetch(ObjectVersion object, long offset, long length, boolean hold) {
        requireNonNull(object, "object is null");
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("offset=" + offset + " length=" + length);
        }
        long end = Math.min(object.size(), offset + length);
        if (end <= offset) {
            index.checkAccepting();
            return CompletableFuture.completedFuture(null);
        }
        BlockIndex.Prefetch claim = index.claimPrefetch(ObjectId.of(bucket, object), object.size(), offset, end, hold);
        meters.prefetchedBlocks.add(claim.claimed().size());
        fetcher.start(object, claim.claimed());
        if (claim.waits().isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.allOf(claim.waits().toArray(new CompletableFuture<?>[0]));
    }

    @Override
    public void release(ObjectVersion object, long offset, long length, boolean drop) {
        requireNonNull(object, "object is null");
        long end = Math.min(object.size(), offset + length);
        if (offset < 0 || end <= offset) {
            return;
        }
        meters.released.add(index.release(ObjectId.of(bucket, object), offset, end, drop));
    }

    @Override
    public List<Range> cachedRanges(ObjectVersion object) {
        requireNonNull(object, "object is null");
        return index.cachedRanges(ObjectId.of(bucket, object), 0, object.size());
    }

    @Override
    public List<Range> cachedRanges(ObjectVersion object, long from, long to) {
        requireNonNull(object, "object is null");
        return index.cachedRanges(ObjectId.of(bucket, object), Math.max(0, from), Math.min(to, object.size()));
    }

    @Override
    public void cutAt(ObjectVersion object, CutSet offsets) {
        requireNonNull(object, "object is null");
        cuts.add(ObjectId.of(bucket, object), requireNonNull(offsets, "offsets is null"));
    }

    @Override
    public int grainBytes() {
        return grain;
    }

    /** Blocks held for the planner right now (on disk or on their way). */
    int heldBlocks() {
        return index.heldBlocks();
    }

    // ---------------------------------------------------------------- stats, close

    @Override
    public CacheStats stats() {
        return index.stats();
    }

    /**
     * Waits until no block is being fetched or written: after a read returns, its blocks may still be on
     * their way to disk. For tests and benchmarks; {@link #close()} does the same.
     *
     * @return false if blocks were still in flight after {@code timeout}
     */
    boolean awaitIdle(Duration timeout) throws InterruptedException {
        return index.awaitIdle(timeout);
    }

    /** Refuses new reads, waits up to {@code closeTimeout} for fetches in flight to be written, then releases the folder. */
    @Override
    public void close() {
        if (!index.close(options.closeTimeout())) {
            return;
        }
        meters.remove(registry);
        try {
            folder.close();
        } catch (IOException e) {
            log.warn("cannot release the lock on {}: {}", folder.root(), e.toString());
        }
    }
}
