package io.prefetchd.gateway.cache;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.s3.ObjectStoreException;
import io.prefetchd.gateway.s3.ObjectStoreException.Kind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
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
 * <h2>On disk</h2>
 * <pre>
 *   dir/.lock                                          held (FileChannel lock) while a cache has dir open
 *   dir/v2-g&lt;grain&gt;/ab/cd/&lt;32 hex&gt;-&lt;start&gt;-&lt;length&gt;.blk   one block: header + data ({@link BlockFormat})
 *   dir/v2-g&lt;grain&gt;/tmp/...blk.&lt;n&gt;.tmp                     a block being written
 *   dir/v2-g&lt;grain&gt;/index, journal                     the index: checkpoint and journal ({@link IndexFile})
 * </pre>
 * The 32 hex digits are the first 128 bits of sha256(bucket, key, ETag), and {@code ab/cd} are its first
 * four, a fan-out of 65,536 folders. The header repeats the full identity, the start and length and carries
 * CRC32C of header and data; every read checks all of it. A block whose file is missing, short, long,
 * misnamed or fails a checksum is deleted, counted ({@code corruptDropped}) and fetched again, never served.
 *
 * <h2>The index and the crash story</h2>
 * The index lives in a {@link BlockTable} (primitive arrays, about 30 bytes per block) and on disk as a
 * checkpoint plus a journal ({@link IndexFile}): a block is journaled once its file is renamed into place, and
 * again once its file is deleted. A clean close writes a checkpoint in the eviction policy's order (so a restart
 * keeps the order and the recently-used bits) and empties the journal; while serving, a checkpoint is written
 * in the background when the journal outgrows the index, copying the table a slice at a time so that reads never
 * wait for the whole file (changes meanwhile go to a second journal, see {@link IndexFile}). On open the cache reads the checkpoint and replays the journal (a torn
 * last record is dropped), without listing the folders: a cache of ten million blocks opens in seconds. When
 * there is no checkpoint (a cache written by an older version) or it fails its checks, the cache lists the
 * folders instead (names, sizes, modification times; no data is read), ordering blocks by modification time,
 * and writes a checkpoint. Leftover temporary files are deleted on open. A cache folder written with a
 * different grain or layout version is deleted.
 *
 * <p>A block is written to a temporary file which is then renamed into place, so a block file is either
 * absent or complete as written. There is no fsync of blocks: after a power loss a renamed file may come back
 * empty or torn, and the checksum catches that on first read. An index entry whose file is gone or bad is
 * dropped on first read, and a block file the index lost (a journal record lost with the power) is only
 * unaccounted disk space, never served. So a restart keeps the cache, and a crash costs at most the blocks
 * that were being written.
 *
 * <h2>Misses</h2>
 * A read claims, under the lock, every missing block it needs that no one is fetching yet (an in-flight
 * map of block futures) and joins the futures of blocks someone else is fetching: a block is fetched by
 * exactly one GET however many readers want it. Its own claimed blocks go out in runs of neighbours, one
 * ranged GET per run (at most {@code maxRunBytes}). When a GET returns, the waiting readers get their bytes
 * from memory at once; then the blocks are written to disk, indexed, and only then leave the in-flight map,
 * so a later reader finds either the in-flight future or the file, never a gap that would cost a second GET.
 * Readers wait with a timeout ({@code demandTimeout}, then UNAVAILABLE).
 *
 * <h2>Capacity and a full disk</h2>
 * {@code usedBytes} counts block files (headers included) plus writes in progress, and never exceeds the
 * capacity: a writer reserves its file's size first and evicts old blocks (CLOCK, an approximation of
 * least-recently-used, through the {@link EvictionPolicy} seam) until it fits. If writing fails anyway (an
 * {@link IOException}, typically ENOSPC because the disk is shared), the cache evicts some more blocks and
 * tries once more; if that fails too the bytes are still served from memory and a write failure is counted.
 * A read fails only when the object store cannot deliver.
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
 * All methods may be called from any thread. One {@link ReentrantLock} guards the index, the eviction
 * policy, the journal, {@code usedBytes}, the in-flight map and the block-file namespace: renames into place and
 * deletions of block files happen under it (they are single metadata operations), so an evicting thread
 * can never delete a file another thread has just renamed into place. Data is read and written outside the
 * lock. A reader reads a whole block file into memory with one open, then verifies it, so a concurrent
 * eviction either happens before the open (the reader sees no file and re-fetches) or after (the reader
 * already has the bytes): a read gets verified bytes or re-fetches. Block files are written on the thread
 * that completes the GET (the SDK's completion executor, or the fake store's thread), after the readers have
 * been handed their bytes. One process (one cache instance) per directory, enforced by a file lock.
 */
public final class DiskExtentCache implements ExtentCache {
    private static final Logger log = LoggerFactory.getLogger(DiskExtentCache.class);

    public static final int DEFAULT_GRAIN_BYTES = 128 * 1024;
    public static final int MIN_GRAIN_BYTES = 4 * 1024;
    public static final int MAX_GRAIN_BYTES = 256 * 1024;
    static final String LAYOUT_PREFIX = "v2-g";
    /** Where blocks are written before they are renamed into place; emptied on open. */
    static final String TEMP_FOLDER = "tmp";
    private static final byte[] EMPTY = new byte[0];
    /** Re-fetch attempts for a block whose file keeps failing verification before bypassing the disk. */
    private static final int MAX_BLOCK_ATTEMPTS = 3;
    /** After a failed write, evict at least this many grains' worth of blocks before the one retry. */
    private static final int ENOSPC_RELIEF_GRAINS = 16;

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
            Executor checkpoints,
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

    /**
     * A block being fetched; {@code future} completes with exactly the block's bytes (readers take them from
     * memory at once), {@code stored} once the block is on disk or its write failed (prefetches wait for this).
     * {@code slot} is its slot in the table while it is tracked.
     */
    private static final class Fetch {
        final BlockKey key;
        final int slot;
        final CompletableFuture<byte[]> future = new CompletableFuture<>();
        final CompletableFuture<Void> stored = new CompletableFuture<>();

        Fetch(BlockKey key, int slot) {
            this.key = key;
            this.slot = slot;
        }
    }

    /**
     * What a read found for one block: a file to read ({@code slot} of a cached block), or bytes on their way
     * ({@code arrived}: a fetch someone else started had already returned them when this read asked, so the read
     * does not wait for it).
     */
    private record Slot(BlockKey key, int slot, CompletableFuture<byte[]> pending, boolean arrived) {
        boolean onDisk() {
            return pending == null;
        }
    }

    /** A block of a read's range: tracked at {@code slot}, or new ({@code slot} -1). */
    private record Covered(BlockKey key, int slot) {
    }

    /** An object version's name in block keys: the first 128 bits of sha256(bucket, key, ETag). */
    private record ObjectId(long high, long low) {
        BlockKey block(long start, long length) {
            return new BlockKey(high, low, start, (int) length);
        }
    }

    /** A verified block: {@code length} bytes of {@code array} from {@code offset}. */
    private record Block(byte[] array, int offset, int length, boolean hit) {
    }

    private final Path root;
    private final long capacityBytes;
    private final int grain;
    private final int shift;
    private final ObjectStore store;
    private final String bucket;
    private final Clock clock;
    private final Options options;
    private final BlockFiles files;
    private final int maxRunBlocks;
    private final FileChannel lockChannel;
    private final FileLock dirLock;
    private final AtomicLong tempCounter = new AtomicLong();

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition drained = lock.newCondition();
    // guarded by lock
    /** Every block on disk or in flight; never two of one object that share a byte. */
    private BlockTable table;
    private final Map<BlockKey, Fetch> inFlight = new HashMap<>();
    /** Per object, sorted offsets where new blocks end besides grain lines ({@link #cutAt}). */
    private final Map<ObjectId, long[]> cuts = new HashMap<>();
    /** Chooses victims among the cached blocks that are not held. */
    private EvictionPolicy policy;
    /** The index on disk; null once writing it failed (it is then deleted and the next open lists the folders). */
    private IndexFile index;
    /** While a checkpoint is being written while serving: {@code journal.next}, where changes go meanwhile. */
    private IndexFile nextIndex;
    /** Runs checkpoints taken while serving. */
    private final Executor checkpoints;
    /** The thread behind {@link #checkpoints} when the cache has its own; shut down on close. */
    private final ExecutorService ownCheckpointThread;
    private boolean accepting = true;
    private boolean closed;
    /** Written under lock; volatile so the gauge can read it without. */
    private volatile long usedBytes;
    /** Cached blocks; volatile so {@link #stats()} can read it without. */
    private volatile long cachedBlocks;

    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder hitBytes = new LongAdder();
    private final LongAdder missBytes = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder corrupt = new LongAdder();
    private final LongAdder writeFailures = new LongAdder();
    private final LongAdder prefetchedBlocks = new LongAdder();
    private final LongAdder released = new LongAdder();
    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();

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
            return new DiskExtentCache(dir, capacityBytes, grainBytes, store, registry, clock, options);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open extent cache in " + dir, e);
        }
    }

    private DiskExtentCache(Path dir, long capacityBytes, int grainBytes, ObjectStore store, MeterRegistry registry,
            Clock clock, Options options) throws IOException {
        this.capacityBytes = capacityBytes;
        this.grain = grainBytes;
        this.shift = Integer.numberOfTrailingZeros(grainBytes);
        this.store = store;
        this.bucket = store.bucket();
        this.clock = clock;
        this.options = options;
        this.files = options.files();
        this.maxRunBlocks = Math.max(1, options.maxRunBytes() >> shift);
        if (options.checkpoints() == null) {
            this.ownCheckpointThread = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "prefetchd-cache-checkpoint");
                t.setDaemon(true);
                return t;
            });
            this.checkpoints = ownCheckpointThread;
        } else {
            this.ownCheckpointThread = null;
            this.checkpoints = options.checkpoints();
        }
        this.registry = registry;
        Files.createDirectories(dir);
        this.root = dir.resolve(LAYOUT_PREFIX + grainBytes);
        this.lockChannel = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock acquired;
        try {
            acquired = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            acquired = null;
        }
        if (acquired == null) {
            lockChannel.close();
            throw new IOException("another extent cache has " + dir + " open");
        }
        this.dirLock = acquired;
        try {
            removeOtherLayouts(dir);
            openIndex();
        } catch (IOException | RuntimeException e) {
            dirLock.release();
            lockChannel.close();
            if (ownCheckpointThread != null) {
                ownCheckpointThread.shutdown();
            }
            throw e;
        }
        registerMeters();
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
        if (length == 0 || offset >= object.size()) {
            checkAccepting();
            return CompletableFuture.completedFuture(new CachedRead(EMPTY, 0, 0));
        }
        long end = Math.min(object.size(), offset + length);
        ObjectId id = objectId(object);
        Slot[] slots = claim(object, id, offset, end);
        Block[] blocks = new Block[slots.length];
        List<CompletableFuture<byte[]>> waits = new ArrayList<>();
        try {
            for (int k = 0; k < slots.length; k++) {
                Slot slot = slots[k];
                if (slot.onDisk()) {
                    Block cached = readCached(object, slot.key(), slot.slot());
                    if (cached != null) {
                        blocks[k] = cached;
                        continue;
                    }
                    Slot[] again = claim(object, id, slot.key().start(), slot.key().end());
                    if (again.length != 1 || !again[0].key().equals(slot.key()) || again[0].onDisk()) {
                        blocks[k] = resolve(object, id, slot); // cut differently meanwhile, or on disk again
                        continue;
                    }
                    slots[k] = slot = again[0];
                }
                if (!slot.pending().isDone()) {
                    waits.add(slot.pending());
                }
            }
            if (waits.isEmpty()) {
                return CompletableFuture.completedFuture(fill(object, id, offset, end, slots, blocks, 0));
            }
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        long started = System.nanoTime();
        Duration timeout = options.demandTimeout();
        return CompletableFuture.allOf(waits.toArray(new CompletableFuture<?>[0]))
                .orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS)
                .handle((ignored, failure) -> {
                    if (failure instanceof TimeoutException
                            || failure instanceof CompletionException && failure.getCause() instanceof TimeoutException) {
                        throw new ObjectStoreException(Kind.UNAVAILABLE, bucket, object.key(), "read of bytes " + offset
                                + "+" + (end - offset) + " (etag " + object.etag() + ") not fetched within " + timeout,
                                failure);
                    }
                    return fill(object, id, offset, end, slots, blocks, System.nanoTime() - started);
                });
    }

    /** Resolves the blocks not resolved yet (fetched ones, complete by now) and assembles the read. */
    private CachedRead fill(ObjectVersion object, ObjectId id, long offset, long end, Slot[] slots, Block[] blocks,
            long waited) {
        for (int k = 0; k < slots.length; k++) {
            if (blocks[k] == null) {
                blocks[k] = resolve(object, id, slots[k]);
            }
        }
        return assemble(offset, end, slots, blocks, waited);
    }

    /** Copies the blocks' bytes of {@code [offset, end)} out and counts hits and misses. */
    private CachedRead assemble(long offset, long end, Slot[] slots, Block[] blocks, long waited) {
        byte[] out = new byte[(int) (end - offset)];
        int missed = 0;
        for (int k = 0; k < slots.length; k++) {
            Slot slot = slots[k];
            Block block = blocks[k];
            boolean arrived = slot.arrived();
            if (!block.hit() && !arrived) {
                missed++;
            }
            long blockStart = slot.key().start();
            long from = Math.max(offset, blockStart);
            long to = Math.min(end, blockStart + block.length());
            int n = (int) (to - from);
            System.arraycopy(block.array(), block.offset() + (int) (from - blockStart), out, (int) (from - offset), n);
            if (block.hit() || arrived) {
                hits.increment();
                hitBytes.add(n);
            } else {
                misses.increment();
                missBytes.add(n);
            }
        }
        return new CachedRead(out, missed, waited);
    }

    /**
     * Under the lock, sorts the blocks covering {@code [offset, end)} into cached, being fetched by someone else,
     * and claimed by this read (new blocks cut from the gaps); then (outside the lock) starts the GETs for the
     * claimed ones. The slots are in offset order and cover the range without gaps.
     */
    private Slot[] claim(ObjectVersion object, ObjectId id, long offset, long end) {
        List<Fetch> claimed = new ArrayList<>();
        Slot[] slots;
        int joined = 0;
        lock.lock();
        try {
            checkAccepting();
            List<Covered> blocks = cover(id, object.size(), offset, end);
            slots = new Slot[blocks.size()];
            for (int k = 0; k < slots.length; k++) {
                Covered block = blocks.get(k);
                BlockKey key = block.key();
                if (block.slot() >= 0 && table.isCached(block.slot())) {
                    policy.onAccess(block.slot());
                    slots[k] = new Slot(key, block.slot(), null, false);
                    continue;
                }
                Fetch fetch = block.slot() >= 0 ? inFlight.get(key) : null;
                boolean arrived = false;
                if (fetch != null) {
                    joined++;
                    arrived = fetch.future.isDone() && !fetch.future.isCompletedExceptionally();
                } else {
                    fetch = startTracking(key);
                    claimed.add(fetch);
                }
                slots[k] = new Slot(key, fetch.slot, fetch.future, arrived);
            }
        } finally {
            lock.unlock();
        }
        if (joined > 0) {
            options.onJoinInFlight().run();
        }
        startFetches(object, claimed);
        return slots;
    }

    /**
     * The blocks covering {@code [offset, end)} in order: those cached or in flight, and new ones (not yet
     * tracked) for the gaps, each new one from a grain line or cut up to the next one, clipped to the gap.
     * Blocks never cross a grain line, so the blocks around any byte are those of its grain-aligned cell.
     * Caller holds the lock.
     */
    private List<Covered> cover(ObjectId id, long size, long offset, long end) {
        long[] objectCuts = cuts.get(id);
        List<Covered> out = new ArrayList<>(4);
        long pos = offset;
        long cell = -1;
        int[] known = null;
        while (pos < end) {
            if (pos >>> shift != cell) {
                cell = pos >>> shift;
                known = table.cell(id.high(), id.low(), cell);
            }
            int i = 0; // the first known block of the cell that ends after pos
            while (i < known.length && table.end(known[i]) <= pos) {
                i++;
            }
            if (i < known.length && table.start(known[i]) <= pos) {
                out.add(new Covered(table.key(known[i]), known[i]));
                pos = table.end(known[i]);
                continue;
            }
            long gapStart = i > 0 ? table.end(known[i - 1]) : cell << shift;
            long limit = i < known.length ? table.start(known[i]) : size;
            long start = Math.max(gapStart, BlockBounds.start(objectCuts, shift, pos));
            long stop = Math.min(limit, BlockBounds.end(objectCuts, shift, start, size));
            out.add(new Covered(id.block(start, stop - start), -1));
            pos = stop;
        }
        return out;
    }

    /** Puts a new fetch of {@code key} in flight and tracks the block. Caller holds the lock. */
    private Fetch startTracking(BlockKey key) {
        int slot = table.add(key.idHigh(), key.idLow(), key.start(), key.length());
        Fetch fetch = new Fetch(key, slot);
        inFlight.put(key, fetch);
        return fetch;
    }

    /**
     * Forgets a block that is neither cached nor in flight any more (and any hold on it: the planner is told by the
     * failed prefetch or plans it again). Caller holds the lock.
     */
    private void untrackIfGone(int slot, BlockKey key) {
        if (!table.isUsed(slot) || table.isCached(slot) || inFlight.containsKey(key) || !key.equals(table.key(slot))) {
            return;
        }
        table.free(slot);
    }

    /** The verified bytes of one block: from its file, or from its fetch. */
    private Block resolve(ObjectVersion object, ObjectId id, Slot slot) {
        BlockKey wanted = slot.key();
        for (int attempt = 1; ; attempt++) {
            if (!slot.onDisk()) {
                byte[] data = await(slot.pending(), object, slot.key());
                return new Block(data, 0, data.length, false);
            }
            Block cached = readCached(object, slot.key(), slot.slot());
            if (cached != null) {
                return cached;
            }
            if (attempt == MAX_BLOCK_ATTEMPTS) {
                break;
            }
            Slot[] again = claim(object, id, wanted.start(), wanted.end());
            if (again.length != 1 || !again[0].key().equals(wanted)) {
                break; // the range is now cut differently: read it straight from the store
            }
            slot = again[0];
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
            throw shortRead(object, wanted.start(), wanted.length(), data.length);
        }
        return new Block(data, 0, data.length, false);
    }

    /** The block's verified bytes from disk, or null after dropping a missing or bad file from the index. */
    private Block readCached(ObjectVersion object, BlockKey key, int slot) {
        Path path = pathOf(key);
        byte[] raw;
        try {
            raw = files.read(path);
        } catch (NoSuchFileException e) {
            forget(key, slot, null); // evicted between our look-up and the open, or removed by someone
            return null;
        } catch (IOException e) {
            forget(key, slot, "unreadable: " + e);
            return null;
        }
        try {
            int offset = BlockFormat.verify(raw, bucket, object, grain, key.start(), key.length());
            return new Block(raw, offset, key.length(), true);
        } catch (BlockFormat.CorruptBlockException e) {
            forget(key, slot, e.getMessage());
            return null;
        }
    }

    /** Drops a block whose file is gone ({@code reason == null}) or bad, if the index still holds it. */
    private void forget(BlockKey key, int slot, String reason) {
        if (reason != null) {
            corrupt.increment();
            log.warn("dropping corrupt cache block {}: {}", pathOf(key), reason);
        }
        lock.lock();
        try {
            if (table.isCached(slot) && key.equals(table.key(slot))) {
                remove(slot, false);
            }
        } finally {
            lock.unlock();
        }
    }

    private byte[] await(CompletableFuture<byte[]> future, ObjectVersion object, BlockKey key) {
        String what = "read of bytes " + key.start() + "+" + key.length() + " (etag " + object.etag() + ")";
        try {
            return future.get(options.demandTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException | CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof ObjectStoreException ose) {
                throw new ObjectStoreException(ose.kind(), bucket, object.key(), what + " failed: " + ose.getMessage(), ose);
            }
            throw new ObjectStoreException(Kind.IO, bucket, object.key(), what + " failed: " + cause, cause);
        } catch (TimeoutException e) {
            throw new ObjectStoreException(Kind.UNAVAILABLE, bucket, object.key(),
                    what + " not fetched within " + options.demandTimeout(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ObjectStoreException(Kind.UNAVAILABLE, bucket, object.key(), what + " interrupted", e);
        }
    }

    // ---------------------------------------------------------------- fetches

    /**
     * Sends one ranged GET per run of claimed blocks that follow each other byte for byte (at most
     * {@code maxRunBytes}, or one block when a block alone is larger).
     */
    private void startFetches(ObjectVersion object, List<Fetch> claimed) {
        int start = 0;
        long runBytes = 0;
        for (int k = 0; k <= claimed.size(); k++) {
            boolean runEnds = k == claimed.size() || k > start
                    && (claimed.get(k).key.start() != claimed.get(k - 1).key.end()
                    || runBytes + claimed.get(k).key.length() > options.maxRunBytes());
            if (runEnds && k > start) {
                startFetch(object, List.copyOf(claimed.subList(start, k)));
                start = k;
                runBytes = 0;
            }
            if (k < claimed.size()) {
                runBytes += claimed.get(k).key.length();
            }
        }
    }

    private void startFetch(ObjectVersion object, List<Fetch> run) {
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

    private void fetched(ObjectVersion object, List<Fetch> run, long offset, int length, byte[] bytes,
            Throwable failure) {
        if (failure == null && bytes.length != length) {
            failure = shortRead(object, offset, length, bytes.length);
        }
        if (failure != null) {
            fail(run, failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure);
            return;
        }
        byte[][] blocks = new byte[run.size()][];
        for (int k = 0; k < run.size(); k++) {
            int from = (int) (run.get(k).key.start() - offset);
            blocks[k] = Arrays.copyOfRange(bytes, from, from + run.get(k).key.length());
        }
        // readers first: they have waited long enough
        for (int k = 0; k < run.size(); k++) {
            run.get(k).future.complete(blocks[k]);
        }
        for (int k = 0; k < run.size(); k++) {
            persist(object, run.get(k), blocks[k]);
        }
    }

    private void fail(List<Fetch> run, Throwable failure) {
        lock.lock();
        try {
            for (Fetch fetch : run) {
                if (inFlight.remove(fetch.key, fetch)) {
                    untrackIfGone(fetch.slot, fetch.key);
                }
            }
            signalIfDrained();
        } finally {
            lock.unlock();
        }
        for (Fetch fetch : run) {
            fetch.future.completeExceptionally(failure);
            fetch.stored.completeExceptionally(failure);
        }
    }

    private ObjectStoreException shortRead(ObjectVersion object, long offset, int expected, int actual) {
        return new ObjectStoreException(Kind.IO, bucket, object.key(), "GET bytes " + offset + "+" + expected
                + " returned " + actual + " bytes; the object is shorter than its size " + object.size()
                + " says (etag " + object.etag() + ")");
    }

    // ---------------------------------------------------------------- writes

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
            if (!reserve(fileBytes)) {
                notWritten = "no room: held blocks and writes in progress fill the capacity";
                return;
            }
            reserved = fileBytes;
            Path target = pathOf(key);
            tmp = root.resolve(TEMP_FOLDER).resolve(target.getFileName() + "." + tempCounter.incrementAndGet()
                    + BlockFiles.TEMP_SUFFIX);
            Instant now = clock.instant();
            Files.createDirectories(target.getParent()); // fan-out folders are made on first use, never removed
            writeWithOneRetry(tmp, header, data, fileBytes);
            files.setLastModified(tmp, now); // orders blocks should the index be lost and the folders listed
            lock.lock();
            try {
                if (closed) {
                    return; // finally: release the reservation, delete the temp file
                }
                files.move(tmp, target);
                tmp = null;
                table.setCached(fetch.slot, true, header.length);
                cachedBlocks++;
                if (!table.isHeld(fetch.slot)) {
                    policy.onInsert(fetch.slot);
                }
                journal(IndexFile.ADDED, fetch.slot);
                checkpointIfJournalIsLong();
                reserved = 0; // the reservation is now the block's
                notWritten = null;
            } finally {
                lock.unlock();
            }
        } catch (IOException | RuntimeException e) {
            notWritten = "write failed: " + e;
            writeFailures.increment();
            log.warn("cannot cache bytes {}+{} of s3://{}/{} on disk, served from memory: {}", key.start(),
                    key.length(), bucket, object.key(), e.toString());
        } finally {
            if (tmp != null) {
                deleteQuietly(tmp);
            }
            lock.lock();
            try {
                usedBytes -= reserved;
                inFlight.remove(key, fetch);
                untrackIfGone(fetch.slot, key);
                signalIfDrained();
            } finally {
                lock.unlock();
            }
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
            files.write(tmp, header, data);
        } catch (IOException first) {
            deleteQuietly(tmp);
            long relief = Math.max(fileBytes, (long) ENOSPC_RELIEF_GRAINS * grain);
            long freed;
            lock.lock();
            try {
                long before = usedBytes;
                evictDownTo(Math.max(0, usedBytes - relief));
                freed = before - usedBytes;
            } finally {
                lock.unlock();
            }
            log.warn("writing cache block {} failed ({}); evicted {} bytes and retrying once", tmp, first.toString(),
                    freed);
            try {
                files.write(tmp, header, data);
            } catch (IOException second) {
                second.addSuppressed(first);
                throw second;
            }
        }
    }

    /** Counts {@code bytes} into {@code usedBytes}, evicting until within capacity; false if it cannot fit. */
    private boolean reserve(long bytes) {
        lock.lock();
        try {
            if (closed) {
                return false;
            }
            usedBytes += bytes;
            evictDownTo(capacityBytes);
            if (usedBytes > capacityBytes) { // everything else is reservations of concurrent writers
                usedBytes -= bytes;
                return false;
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Evicts policy victims until {@code usedBytes <= target} or nothing is left. Caller holds the lock. */
    private void evictDownTo(long target) {
        while (usedBytes > target) {
            int victim = policy.victim();
            if (victim < 0) {
                return;
            }
            if (!table.isCached(victim) || table.isHeld(victim)) {
                throw new IllegalStateException("eviction policy chose slot " + victim + ", which is not an unheld "
                        + "cached block");
            }
            remove(victim, true);
        }
    }

    /** Removes a cached block from index and policy, deletes its file, then journals it. Caller holds the lock. */
    private void remove(int slot, boolean eviction) {
        if (!table.isCached(slot)) {
            return;
        }
        BlockKey key = table.key(slot);
        policy.onRemove(slot);
        usedBytes -= table.fileBytes(slot);
        if (eviction) {
            evictions.increment();
        }
        // delete first: a crash before the journal record leaves an entry without a file (a re-fetch), not a file
        // without an entry (unaccounted space)
        deleteQuietly(pathOf(key));
        journal(IndexFile.REMOVED, slot);
        table.setCached(slot, false, 0);
        cachedBlocks--;
        untrackIfGone(slot, key);
        checkpointIfJournalIsLong();
    }

    /**
     * Appends a record of the block at {@code slot} to the journal. If the index cannot be written it is deleted
     * (the next open lists the folders) and the cache goes on without one. Caller holds the lock.
     */
    private void journal(byte type, int slot) {
        IndexFile target = nextIndex != null ? nextIndex : index;
        if (target == null) {
            return;
        }
        try {
            target.append(type, table.idHigh(slot), table.idLow(slot), table.start(slot), table.length(slot),
                    table.headerBytes(slot));
        } catch (IOException | RuntimeException e) {
            abandonIndex(e);
        }
    }

    /**
     * Starts a checkpoint once the journal holds more records than {@code checkpointRecords} and than twice the
     * blocks cached, so the journal stays within a small multiple of the index: changes go to {@code journal.next}
     * from now on, and {@link #fuzzyCheckpoint} copies the table a slice at a time on the checkpoint executor.
     * Caller holds the lock, between changes.
     */
    private void checkpointIfJournalIsLong() {
        if (index == null || nextIndex != null || closed
                || index.appended() <= Math.max(options.checkpointRecords(), 2 * cachedBlocks)) {
            return;
        }
        IndexFile next;
        try {
            next = IndexFile.startNextJournal(root, grain, index.generation() + 1);
        } catch (IOException | RuntimeException e) {
            abandonIndex(e);
            return;
        }
        nextIndex = next;
        int first = policy.orderStart();
        int limit = table.slotLimit();
        try {
            checkpoints.execute(() -> fuzzyCheckpoint(next, first, limit));
        } catch (RuntimeException e) { // rejected: the executor is shutting down
            abandonIndex(e);
        }
    }

    /** Slots copied per turn of the lock while a checkpoint is taken while serving. */
    private static final int SLICE = 1 << 14;

    /**
     * Writes a fuzzy checkpoint of the slots below {@code limit}, from {@code first} round, then puts it in place and
     * makes {@code next} the journal. Gives up (deleting what it wrote) when the cache closes or abandons its index
     * meanwhile. Runs on the checkpoint executor.
     */
    private void fuzzyCheckpoint(IndexFile next, int first, int limit) {
        Path written = null;
        try {
            written = IndexFile.write(root, IndexFile.CHECKPOINT + ".fuzzy.tmp", grain, next.generation(), true,
                    out -> copySlices(out, next, first, limit), false);
            lock.lock();
            try {
                if (nextIndex == next) {
                    IndexFile.install(root, written);
                    written = null;
                    index.close();
                    next.promote();
                    index = next;
                    nextIndex = null;
                }
            } finally {
                lock.unlock();
            }
        } catch (IOException | RuntimeException e) {
            lock.lock();
            try {
                if (nextIndex == next) {
                    abandonIndex(e);
                }
            } finally {
                lock.unlock();
            }
        } finally {
            if (written != null) {
                try {
                    Files.deleteIfExists(written);
                } catch (IOException e) {
                    log.warn("cannot delete {}: {}", written, e.toString());
                }
            }
        }
    }

    /** Copies the cached blocks a slice at a time under the lock, and hands them to {@code out} outside it. */
    private void copySlices(IndexFile.RecordOut out, IndexFile next, int first, int limit) throws IOException {
        long[] hi = new long[SLICE];
        long[] lo = new long[SLICE];
        long[] start = new long[SLICE];
        int[] length = new int[SLICE];
        int[] header = new int[SLICE];
        boolean[] recent = new boolean[SLICE];
        int begin = limit == 0 ? 0 : Math.floorMod(first, limit);
        for (int done = 0; done < limit; done += SLICE) {
            int n = 0;
            lock.lock();
            try {
                if (nextIndex != next) {
                    throw new IOException("checkpoint given up: the cache closed or dropped its index");
                }
                for (int k = done; k < Math.min(limit, done + SLICE); k++) {
                    int slot = begin + k < limit ? begin + k : begin + k - limit;
                    if (table.isCached(slot)) {
                        hi[n] = table.idHigh(slot);
                        lo[n] = table.idLow(slot);
                        start[n] = table.start(slot);
                        length[n] = table.length(slot);
                        header[n] = table.headerBytes(slot);
                        recent[n] = policy.recentlyUsed(slot);
                        n++;
                    }
                }
            } finally {
                lock.unlock();
            }
            for (int k = 0; k < n; k++) {
                out.put(hi[k], lo[k], start[k], length[k], header[k], recent[k]);
            }
        }
    }

    /** The cached blocks, from the policy's order start round to it (held ones included). Caller holds the lock. */
    private void forEachCached(IndexFile.RecordOut out) throws IOException {
        int limit = table.slotLimit();
        int first = limit == 0 ? 0 : Math.floorMod(policy.orderStart(), limit);
        for (int k = 0; k < limit; k++) {
            int slot = first + k < limit ? first + k : first + k - limit;
            if (table.isCached(slot)) {
                out.put(table.idHigh(slot), table.idLow(slot), table.start(slot), table.length(slot),
                        table.headerBytes(slot), policy.recentlyUsed(slot));
            }
        }
    }

    private void abandonIndex(Exception e) {
        log.warn("cannot write the index of extent cache {} ({}); deleting it, the next start lists the folders",
                root, e.toString());
        for (IndexFile file : new IndexFile[] {index, nextIndex}) {
            try {
                if (file != null) {
                    file.close();
                }
            } catch (IOException ignored) {
                // deleting it is what matters
            }
        }
        index = null;
        nextIndex = null;
        try {
            IndexFile.delete(root);
        } catch (IOException again) {
            log.warn("cannot delete the index of extent cache {}: {}", root, again.toString());
        }
    }

    private void deleteQuietly(Path path) {
        try {
            files.delete(path);
        } catch (IOException e) {
            log.warn("cannot delete {}: {}", path, e.toString());
        }
    }

    private void signalIfDrained() {
        if (inFlight.isEmpty()) {
            drained.signalAll();
        }
    }

    // ---------------------------------------------------------------- start-up

    private void removeOtherLayouts(Path dir) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "v[0-9]*-g*")) {
            for (Path other : entries) {
                if (!other.equals(root) && Files.isDirectory(other)) {
                    log.info("deleting cache folder {} written with another grain or layout version", other);
                    deleteTree(other);
                }
            }
        }
    }

    /**
     * Loads the index from its checkpoint and journal, or, when there is none or it fails its checks, lists the
     * folders; then writes or opens the journal and evicts down to the capacity.
     */
    private void openIndex() throws IOException {
        Files.createDirectories(root);
        Path temps = root.resolve(TEMP_FOLDER);
        if (Files.isDirectory(temps)) {
            deleteTree(temps); // blocks that were being written when the last run ended
        }
        Files.createDirectories(temps);
        long started = System.nanoTime();
        IndexFile.Loaded loaded = null;
        String why = "no index";
        lock.lock();
        try {
            table = new BlockTable(shift);
            policy = requireNonNull(options.policy().apply(table), "policy factory returned null");
            Loader loader = new Loader();
            try {
                loaded = IndexFile.load(root, grain, loader);
            } catch (IndexFile.CorruptIndexException e) {
                why = "index unusable: " + e.getMessage();
            }
            if (loaded != null) {
                if (loaded.tornRecords() > 0) {
                    log.warn("extent cache {}: dropped a torn end of the index journal ({} records)", root,
                            loaded.tornRecords());
                }
                if (loader.overlaps > 0) {
                    dropOverlaps();
                }
                if (loaded.appendAt() >= 0 && loader.overlaps == 0) {
                    index = IndexFile.openJournal(root, loaded.generation(), loaded.appendAt());
                } else if (loaded.appendAt() == IndexFile.NEW_JOURNAL && loader.overlaps == 0) {
                    index = IndexFile.startJournal(root, grain, loaded.generation());
                } else { // a checkpoint was being taken when the last run ended: fold the journals into a new one
                    index = IndexFile.checkpoint(root, grain, loaded.generation() + 2, this::forEachCached, false);
                }
                log.info("extent cache {}: index loaded ({} + {} journal records) in {} ms", root,
                        loaded.checkpointRecords(), Math.max(0, loaded.journalRecords()),
                        (System.nanoTime() - started) / 1_000_000);
            } else {
                table = new BlockTable(shift);
                policy = requireNonNull(options.policy().apply(table), "policy factory returned null");
                usedBytes = 0;
                cachedBlocks = 0;
            }
        } finally {
            lock.unlock();
        }
        if (loaded == null) {
            log.info("extent cache {}: {}; listing the block files", root, why);
            IndexFile.delete(root);
            scanFolders();
            lock.lock();
            try {
                index = IndexFile.checkpoint(root, grain, 1, this::forEachCached, true);
            } finally {
                lock.unlock();
            }
        }
        lock.lock();
        try {
            evictDownTo(capacityBytes);
        } finally {
            lock.unlock();
        }
        log.info("extent cache {}: {} blocks, {} bytes of {}", root, cachedBlocks, usedBytes, capacityBytes);
    }

    /** Fills table and policy from the index on disk. Runs under the lock, before the cache is shared. */
    private final class Loader implements IndexFile.Sink {
        /** Whether blocks may overlap until the journals are replayed (a checkpoint taken while serving). */
        boolean fuzzy;
        /** Blocks loaded over others of their object, to be resolved once everything is loaded. */
        long overlaps;
        /**
         * Whether records need checking against the blocks already loaded: those of a journal or of a fuzzy
         * checkpoint. A consistent checkpoint holds neither duplicates nor overlaps (its CRC says it is what was
         * written), so its records go straight in: one hash probe each.
         */
        boolean checked;

        @Override
        public void expect(long records, boolean fuzzy) {
            this.fuzzy = fuzzy;
            this.checked = fuzzy;
            table.reserve(records + records / 16); // and some room to grow before the first rehash
        }

        @Override
        public void checkpointDone() {
            checked = true;
        }

        @Override
        public void added(long idHigh, long idLow, long start, int length, int headerBytes, boolean recent)
                throws IndexFile.CorruptIndexException {
            if (!checked) {
                if (length > grain || start > BlockTable.MAX_START
                        || (start >>> shift) != ((start + length - 1) >>> shift)) {
                    throw new IndexFile.CorruptIndexException("block " + start + "+" + length
                            + " cannot be in an index of grain " + grain);
                }
                insert(table.add(idHigh, idLow, start, length), headerBytes, recent);
                return;
            }
            int existing = table.find(idHigh, idLow, start, length);
            if (existing >= 0) { // journaled again: keep one entry
                removeLoaded(existing);
            }
            boolean overlapping = table.overlaps(idHigh, idLow, start, start + length, -1);
            if (length > grain || start > BlockTable.MAX_START || (start >>> shift) != ((start + length - 1) >>> shift)
                    || overlapping && !fuzzy) {
                throw new IndexFile.CorruptIndexException("block " + start + "+" + length + " of "
                        + new BlockKey(idHigh, idLow, start, length).objectHex() + " cannot be in this index");
            }
            if (overlapping) {
                overlaps++;
            }
            insert(table.add(idHigh, idLow, start, length), headerBytes, recent);
        }

        private void insert(int slot, int headerBytes, boolean recent) {
            table.setCached(slot, true, headerBytes);
            policy.onInsert(slot);
            if (recent) {
                policy.onAccess(slot);
            }
            usedBytes += table.fileBytes(slot);
            cachedBlocks++;
        }

        @Override
        public void removed(long idHigh, long idLow, long start, int length) {
            int slot = table.find(idHigh, idLow, start, length);
            if (slot >= 0) {
                removeLoaded(slot);
            }
        }

        private void removeLoaded(int slot) {
            policy.onRemove(slot);
            usedBytes -= table.fileBytes(slot);
            cachedBlocks--;
            table.free(slot);
        }
    }

    /**
     * After loading a fuzzy checkpoint whose blocks overlapped: drops (and deletes) every block that still overlaps
     * another once the journals are replayed, which the journals make impossible unless records were lost. Runs
     * under the lock, before the cache is shared.
     */
    private void dropOverlaps() {
        List<Integer> bad = new ArrayList<>();
        for (int slot = 0; slot < table.slotLimit(); slot++) {
            if (table.isCached(slot) && table.overlaps(table.idHigh(slot), table.idLow(slot), table.start(slot),
                    table.end(slot), slot)) {
                bad.add(slot);
            }
        }
        for (int slot : bad) {
            log.warn("dropping cache block {}: it overlaps another block of its object in the index",
                    pathOf(table.key(slot)));
            policy.onRemove(slot);
            usedBytes -= table.fileBytes(slot);
            cachedBlocks--;
            deleteQuietly(pathOf(table.key(slot)));
            table.free(slot);
        }
    }

    private record Found(BlockKey key, long size, long mtimeMillis) {
    }

    /** Lists the block files (no data is read), deletes temp and stray files, and fills table and policy. */
    private void scanFolders() throws IOException {
        List<Found> found = new ArrayList<>();
        int temps = 0;
        int strays = 0;
        try (DirectoryStream<Path> level1 = Files.newDirectoryStream(root)) {
            for (Path d1 : level1) {
                if (!Files.isDirectory(d1) || d1.getFileName().toString().equals(TEMP_FOLDER)) {
                    continue;
                }
                try (DirectoryStream<Path> level2 = Files.newDirectoryStream(d1)) {
                    for (Path d2 : level2) {
                        if (!Files.isDirectory(d2)) {
                            continue;
                        }
                        try (DirectoryStream<Path> blocks = Files.newDirectoryStream(d2)) {
                            for (Path file : blocks) {
                                String name = file.getFileName().toString();
                                if (name.endsWith(BlockFiles.TEMP_SUFFIX)) {
                                    Files.deleteIfExists(file);
                                    temps++;
                                    continue;
                                }
                                BlockKey key = BlockKey.parse(name);
                                BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
                                if (key == null || key.length() > grain || key.start() > BlockTable.MAX_START
                                        || (key.start() >>> shift) != ((key.end() - 1) >>> shift)
                                        || attributes.size() - key.length() > BlockTable.MAX_HEADER_BYTES
                                        || attributes.size() <= key.length()
                                        || !attributes.isRegularFile() || !pathOf(key).equals(file)) {
                                    log.warn("deleting stray file {} in the cache folder", file);
                                    Files.deleteIfExists(file);
                                    strays++;
                                    continue;
                                }
                                found.add(new Found(key, attributes.size(), attributes.lastModifiedTime().toMillis()));
                            }
                        }
                    }
                }
            }
        }
        found.sort(Comparator.comparingLong(Found::mtimeMillis)
                .thenComparing(f -> f.key().objectHex())
                .thenComparingLong(f -> f.key().start()));
        lock.lock();
        try {
            for (Found f : found) {
                BlockKey key = f.key();
                if (table.overlaps(key.idHigh(), key.idLow(), key.start(), key.end(), -1)) {
                    // cannot happen through this class; never serve two versions of a byte
                    log.warn("deleting cache block {}: it overlaps another block of the object", pathOf(key));
                    Files.deleteIfExists(pathOf(key));
                    strays++;
                    continue;
                }
                int slot = table.add(key.idHigh(), key.idLow(), key.start(), key.length());
                table.setCached(slot, true, (int) (f.size() - key.length()));
                policy.onInsert(slot);
                usedBytes += f.size();
                cachedBlocks++;
            }
        } finally {
            lock.unlock();
        }
        log.info("extent cache {}: listed {} blocks; removed {} temp and {} stray files", root, found.size(), temps,
                strays);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    // ---------------------------------------------------------------- naming

    /** The first 128 bits of sha256(bucket, key, etag), each field length-prefixed. */
    private ObjectId objectId(ObjectVersion object) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is a required JDK algorithm", e);
        }
        for (String field : new String[] {bucket, object.key(), object.etag()}) {
            byte[] bytes = field.getBytes(UTF_8);
            sha.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
            sha.update(bytes);
        }
        ByteBuffer digest = ByteBuffer.wrap(sha.digest());
        return new ObjectId(digest.getLong(), digest.getLong());
    }

    Path pathOf(BlockKey key) {
        String hex = key.objectHex();
        return root.resolve(hex.substring(0, 2)).resolve(hex.substring(2, 4)).resolve(key.fileName());
    }


    // ---------------------------------------------------------------- offers

    @Override
    public boolean offer(ObjectVersion object, ByteSource source) {
        requireNonNull(object, "object is null");
        requireNonNull(source, "source is null");
        if (object.size() == 0) {
            checkAccepting();
            return true;
        }
        ObjectId id = objectId(object);
        List<Fetch> claimed = new ArrayList<>();
        lock.lock();
        try {
            checkAccepting();
            for (Covered block : cover(id, object.size(), 0, object.size())) {
                if (block.slot() < 0) {
                    claimed.add(startTracking(block.key()));
                }
            }
        } finally {
            lock.unlock();
        }
        boolean all = true;
        for (int k = 0; k < claimed.size(); k++) {
            Fetch fetch = claimed.get(k);
            byte[] bytes;
            try {
                bytes = source.read(fetch.key.start(), fetch.key.length());
            } catch (Exception e) {
                log.warn("offered bytes of s3://{}/{} could not be read ({}); the rest is fetched from S3 when read",
                        bucket, object.key(), e.toString());
                startFetches(object, List.copyOf(claimed.subList(k, claimed.size())));
                return false;
            }
            // as a GET that returned them: readers joined meanwhile get them, then they are written to disk
            fetched(object, List.of(fetch), fetch.key.start(), fetch.key.length(), bytes, null);
            all &= fetch.stored.isDone() && !fetch.stored.isCompletedExceptionally();
        }
        return all;
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
            checkAccepting();
            return CompletableFuture.completedFuture(null);
        }
        ObjectId id = objectId(object);
        List<Fetch> claimed = new ArrayList<>();
        List<CompletableFuture<Void>> waits = new ArrayList<>();
        lock.lock();
        try {
            checkAccepting();
            for (Covered block : cover(id, object.size(), offset, end)) {
                boolean cached = block.slot() >= 0 && table.isCached(block.slot());
                Fetch fetch = cached || block.slot() < 0 ? null : inFlight.get(block.key());
                if (!cached && fetch == null) {
                    fetch = startTracking(block.key());
                    claimed.add(fetch);
                }
                int slot = cached ? block.slot() : fetch.slot;
                if (hold && !table.setHeld(slot, true)) {
                    policy.onRemove(slot);
                }
                if (fetch != null) {
                    waits.add(fetch.stored);
                }
            }
        } finally {
            lock.unlock();
        }
        prefetchedBlocks.add(claimed.size());
        startFetches(object, claimed);
        if (waits.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.allOf(waits.toArray(new CompletableFuture<?>[0]));
    }

    @Override
    public void release(ObjectVersion object, long offset, long length, boolean drop) {
        requireNonNull(object, "object is null");
        long end = Math.min(object.size(), offset + length);
        if (offset < 0 || end <= offset) {
            return;
        }
        ObjectId id = objectId(object);
        lock.lock();
        try {
            for (long cell = offset >>> shift; cell <= (end - 1) >>> shift; cell++) {
                for (int slot : table.cell(id.high(), id.low(), cell)) {
                    if (table.end(slot) <= offset || table.start(slot) >= end) {
                        continue;
                    }
                    boolean wasHeld = table.setHeld(slot, false);
                    if (!table.isCached(slot)) {
                        continue; // in flight: lands unheld and ages out
                    }
                    if (drop) {
                        remove(slot, false);
                        released.increment();
                    } else if (wasHeld) {
                        policy.onInsert(slot);
                        policy.onAccess(slot);
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<Range> cachedRanges(ObjectVersion object) {
        requireNonNull(object, "object is null");
        ObjectId id = objectId(object);
        List<Range> out = new ArrayList<>();
        if (object.size() == 0) {
            return out;
        }
        lock.lock();
        try {
            for (long cell = 0; cell <= (object.size() - 1) >>> shift; cell++) {
                for (int slot : table.cell(id.high(), id.low(), cell)) {
                    if (table.isCached(slot)) {
                        out.add(new Range(table.start(slot), table.length(slot)));
                    }
                }
            }
        } finally {
            lock.unlock();
        }
        return out;
    }

    @Override
    public void cutAt(ObjectVersion object, long[] offsets) {
        requireNonNull(object, "object is null");
        long[] sorted = Arrays.stream(offsets).filter(o -> o > 0 && o < object.size()).sorted().distinct().toArray();
        ObjectId id = objectId(object);
        lock.lock();
        try {
            long[] before = cuts.get(id);
            long[] merged = before == null ? sorted
                    : java.util.stream.LongStream.concat(Arrays.stream(before), Arrays.stream(sorted)).sorted()
                            .distinct().toArray();
            if (merged.length == 0) {
                cuts.remove(id);
            } else {
                cuts.put(id, merged);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int grainBytes() {
        return grain;
    }

    /** Blocks held for the planner right now (on disk or on their way). */
    int heldBlocks() {
        lock.lock();
        try {
            return table.heldCount();
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- stats, metrics, close

    @Override
    public CacheStats stats() {
        long used;
        long blocks;
        lock.lock();
        try {
            used = usedBytes;
            blocks = cachedBlocks;
        } finally {
            lock.unlock();
        }
        return new CacheStats(capacityBytes, used, blocks, hits.sum(), misses.sum(), hitBytes.sum(), missBytes.sum(),
                evictions.sum(), corrupt.sum(), writeFailures.sum());
    }

    private void registerMeters() {
        counter("prefetchd.cache.hits", hits, "Blocks served from local disk", null);
        counter("prefetchd.cache.misses", misses, "Blocks that had to come from the object store", null);
        counter("prefetchd.cache.hit.bytes", hitBytes, "Bytes returned from blocks on local disk", "bytes");
        counter("prefetchd.cache.miss.bytes", missBytes, "Bytes returned from fetched blocks", "bytes");
        counter("prefetchd.cache.evictions", evictions, "Blocks evicted to stay within capacity", null);
        counter("prefetchd.cache.corrupt", corrupt, "Block files that failed verification and were dropped", null);
        counter("prefetchd.cache.write.failures", writeFailures, "Blocks that could not be written to disk", null);
        counter("prefetchd.cache.prefetched", prefetchedBlocks, "Blocks fetched ahead of a read by the planner", null);
        counter("prefetchd.cache.released", released, "Held blocks the planner dropped to make room", null);
        meters.add(Gauge.builder("prefetchd.cache.held.blocks", this, DiskExtentCache::heldBlocks)
                .description("Blocks the prefetch planner holds (never evicted by the cache's own policy)")
                .register(registry));
        meters.add(Gauge.builder("prefetchd.cache.used.bytes", this, c -> c.usedBytes)
                .description("Bytes of block files on disk, including writes in progress")
                .baseUnit("bytes")
                .register(registry));
        meters.add(Gauge.builder("prefetchd.cache.capacity.bytes", this, c -> c.capacityBytes)
                .description("Configured bound on block files")
                .baseUnit("bytes")
                .register(registry));
    }

    private void counter(String name, LongAdder adder, String description, String unit) {
        FunctionCounter.Builder<LongAdder> builder = FunctionCounter.builder(name, adder, LongAdder::sum)
                .description(description);
        if (unit != null) {
            builder.baseUnit(unit);
        }
        meters.add(builder.register(registry));
    }

    /**
     * Waits until no block is being fetched or written: after a read returns, its blocks may still be on
     * their way to disk. For tests and benchmarks; {@link #close()} does the same.
     *
     * @return false if blocks were still in flight after {@code timeout}
     */
    boolean awaitIdle(Duration timeout) throws InterruptedException {
        lock.lock();
        try {
            long remaining = timeout.toNanos();
            while (!inFlight.isEmpty() && remaining > 0) {
                remaining = drained.awaitNanos(remaining);
            }
            return inFlight.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    private void checkAccepting() {
        if (!accepting) {
            throw new IllegalStateException("extent cache " + root + " is closed");
        }
    }

    /** Writes the final checkpoint and closes the journal. Caller holds the lock, with the cache closed. */
    private void saveIndex() {
        if (index == null) {
            return;
        }
        try {
            long generation = Math.max(index.generation(), nextIndex == null ? 0 : nextIndex.generation()) + 1;
            if (nextIndex != null) { // a checkpoint taken while serving gives up on its next slice
                nextIndex.close();
                nextIndex = null;
            }
            index.close();
            index = null;
            IndexFile.checkpoint(root, grain, generation, this::forEachCached, true).close();
        } catch (IOException | RuntimeException e) {
            abandonIndex(e);
        }
    }

    /** Refuses new reads, waits up to {@code closeTimeout} for fetches in flight to be written, then releases the folder. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (!accepting) {
                return;
            }
            accepting = false;
            long remaining = options.closeTimeout().toNanos();
            while (!inFlight.isEmpty() && remaining > 0) {
                remaining = drained.awaitNanos(remaining);
            }
            if (!inFlight.isEmpty()) {
                log.warn("closing extent cache {} with {} blocks still being fetched; they will not be cached", root,
                        inFlight.size());
            }
            closed = true;
            saveIndex();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
            saveIndex();
        } finally {
            lock.unlock();
        }
        meters.forEach(registry::remove);
        if (ownCheckpointThread != null) {
            ownCheckpointThread.shutdown();
            try { // a checkpoint taken while serving notices the close and stops at its next slice
                ownCheckpointThread.awaitTermination(options.closeTimeout().toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            dirLock.release();
            lockChannel.close();
        } catch (IOException e) {
            log.warn("cannot release the lock on {}: {}", root, e.toString());
        }
    }
}
