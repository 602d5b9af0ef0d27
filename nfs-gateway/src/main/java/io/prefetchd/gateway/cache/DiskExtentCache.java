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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
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
 * names; its bytes never mix with the old version's, and the old blocks simply age out of the LRU. Readers
 * pass the {@link ObjectVersion} they opened; GETs carry {@code If-Match} so S3 refuses (CHANGED) rather
 * than returning bytes of another version.
 *
 * <h2>On disk</h2>
 * <pre>
 *   dir/.lock                                          held (FileChannel lock) while a cache has dir open
 *   dir/v2-g&lt;grain&gt;/ab/cd/&lt;32 hex&gt;-&lt;start&gt;-&lt;length&gt;.blk   one block: header + data ({@link BlockFormat})
 *   dir/v2-g&lt;grain&gt;/ab/cd/...blk.&lt;n&gt;.tmp                    a block being written
 * </pre>
 * The 32 hex digits are the first 128 bits of sha256(bucket, key, ETag), and {@code ab/cd} are its first
 * four, a fan-out of 65,536 folders. The header repeats the full identity, the start and length and carries
 * CRC32C of header and data; every read checks all of it. A block whose file is missing, short, long,
 * misnamed or fails a checksum is deleted, counted ({@code corruptDropped}) and fetched again, never served.
 *
 * <h2>The crash story</h2>
 * A block is written to a temporary file which is then renamed into place, so a block file is either
 * absent or complete as written. There is no fsync: after a power loss a renamed file may come back empty
 * or torn, and the checksum catches that on first read. On open the cache lists the folders (names, sizes,
 * modification times; no data is read), deletes leftover temporary files and rebuilds its index with the
 * LRU order given by the modification times; the mtime is set on write and refreshed on access at most once
 * per {@code touchInterval}. A cache folder written with a different grain or layout version is deleted. So a
 * restart keeps the cache, and a crash costs at most the blocks that were being written.
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
 * capacity: a writer reserves its file's size first and evicts least-recently-used blocks (through the
 * {@link EvictionPolicy} seam, which the planner will replace) until it fits. If writing fails anyway (an
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
 * policy, {@code usedBytes}, the in-flight map and the block-file namespace: renames into place and
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
     * @param policy makes the eviction policy
     * @param demandTimeout how long a read waits for a block being fetched before failing UNAVAILABLE
     * @param touchInterval a cached block's file time is refreshed on access at most this often
     * @param closeTimeout how long {@link #close()} waits for fetches in flight to reach disk
     * @param maxRunBytes the largest coalesced GET
     * @param onJoinInFlight called once by each read that joined at least one fetch already in flight,
     *     before it sends its own GETs (lets tests know every reader is waiting, without sleeping)
     */
    record Options(
            BlockFiles files,
            Supplier<EvictionPolicy> policy,
            Duration demandTimeout,
            Duration touchInterval,
            Duration closeTimeout,
            int maxRunBytes,
            Runnable onJoinInFlight) {
        Options {
            requireNonNull(files, "files is null");
            requireNonNull(policy, "policy is null");
            requireNonNull(demandTimeout, "demandTimeout is null");
            requireNonNull(touchInterval, "touchInterval is null");
            requireNonNull(closeTimeout, "closeTimeout is null");
            requireNonNull(onJoinInFlight, "onJoinInFlight is null");
            if (maxRunBytes < 1) {
                throw new IllegalArgumentException("maxRunBytes must be positive: " + maxRunBytes);
            }
        }

        static Options defaults() {
            return new Options(BlockFiles.nio(), LruPolicy::new, Duration.ofSeconds(60), Duration.ofSeconds(60),
                    Duration.ofSeconds(60), 8 * 1024 * 1024, () -> { });
        }

        Options withFiles(BlockFiles value) {
            return new Options(value, policy, demandTimeout, touchInterval, closeTimeout, maxRunBytes, onJoinInFlight);
        }

        Options withPolicy(Supplier<EvictionPolicy> value) {
            return new Options(files, value, demandTimeout, touchInterval, closeTimeout, maxRunBytes, onJoinInFlight);
        }

        Options withDemandTimeout(Duration value) {
            return new Options(files, policy, value, touchInterval, closeTimeout, maxRunBytes, onJoinInFlight);
        }

        Options withTouchInterval(Duration value) {
            return new Options(files, policy, demandTimeout, value, closeTimeout, maxRunBytes, onJoinInFlight);
        }

        Options withMaxRunBytes(int value) {
            return new Options(files, policy, demandTimeout, touchInterval, closeTimeout, value, onJoinInFlight);
        }

        Options withOnJoinInFlight(Runnable value) {
            return new Options(files, policy, demandTimeout, touchInterval, closeTimeout, maxRunBytes, value);
        }
    }

    /** A cached block in the index. Mutable field guarded by the cache lock. */
    private static final class Entry {
        final long fileBytes;
        long touchedMillis;

        Entry(long fileBytes, long touchedMillis) {
            this.fileBytes = fileBytes;
            this.touchedMillis = touchedMillis;
        }
    }

    /**
     * A block being fetched; {@code future} completes with exactly the block's bytes (readers take them from
     * memory at once), {@code stored} once the block is on disk or its write failed (prefetches wait for this).
     */
    private static final class Fetch {
        final BlockKey key;
        final CompletableFuture<byte[]> future = new CompletableFuture<>();
        final CompletableFuture<Void> stored = new CompletableFuture<>();

        Fetch(BlockKey key) {
            this.key = key;
        }
    }

    /**
     * What a read found for one block: a file to read, or bytes on their way ({@code arrived}: a fetch someone else
     * started had already returned them when this read asked, so the read does not wait for it).
     */
    private record Slot(BlockKey key, Entry entry, CompletableFuture<byte[]> pending, boolean arrived) {
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
    private final Map<BlockKey, Entry> index = new HashMap<>();
    private final Map<BlockKey, Fetch> inFlight = new HashMap<>();
    /** Per object, the blocks in {@code index} or {@code inFlight} by start offset (they never overlap). */
    private final Map<ObjectId, TreeMap<Long, BlockKey>> blocksOf = new HashMap<>();
    /** Per object, sorted offsets where new blocks end besides grain lines ({@link #cutAt}). */
    private final Map<ObjectId, long[]> cuts = new HashMap<>();
    /** Blocks the planner holds: on disk, in flight or expected; never in the policy while held. */
    private final Set<BlockKey> held = new HashSet<>();
    private final EvictionPolicy policy;
    private boolean accepting = true;
    private boolean closed;
    /** Written under lock; volatile so the gauge can read it without. */
    private volatile long usedBytes;

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
     * Opens (creating if needed) the cache in {@code dir}, rebuilding the index from the block files there.
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
        this.policy = requireNonNull(options.policy().get(), "policy supplier returned null");
        this.maxRunBlocks = Math.max(1, options.maxRunBytes() >> shift);
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
            rebuildIndex();
        } catch (IOException | RuntimeException e) {
            dirLock.release();
            lockChannel.close();
            throw e;
        }
        registerMeters();
    }

    // ---------------------------------------------------------------- reads

    @Override
    public CachedRead readTracked(ObjectVersion object, long offset, int length) {
        requireNonNull(object, "object is null");
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("offset=" + offset + " length=" + length);
        }
        if (length == 0 || offset >= object.size()) {
            checkAccepting();
            return new CachedRead(EMPTY, 0, 0);
        }
        long end = Math.min(object.size(), offset + length);
        ObjectId id = objectId(object);
        Slot[] slots = claim(object, id, offset, end);
        Block[] blocks = new Block[slots.length];
        long waited = 0;
        for (int k = 0; k < slots.length; k++) {
            long started = System.nanoTime();
            blocks[k] = resolve(object, id, slots[k]);
            if (!blocks[k].hit() && !slots[k].arrived()) {
                waited += System.nanoTime() - started;
            }
        }
        return assemble(offset, end, slots, blocks, waited);
    }

    /**
     * Reads the cached blocks now, on the caller's thread (local disk), and completes when the fetched ones arrive:
     * then only their bytes, already in memory, are copied, on the thread that delivered the last of them. A cached
     * block that turns out to be gone or corrupt is claimed again and, if it must be fetched, waited for like the
     * others (only if its range was cut differently meanwhile is it read as {@link #readTracked} reads it, waiting). Blocks still missing after {@code demandTimeout} fail the read UNAVAILABLE, as in {@link #readTracked}.
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
                if (slot.entry() != null) {
                    Block cached = readCached(object, slot.key(), slot.entry());
                    if (cached != null) {
                        blocks[k] = cached;
                        continue;
                    }
                    Slot[] again = claim(object, id, slot.key().start(), slot.key().end());
                    if (again.length != 1 || !again[0].key().equals(slot.key()) || again[0].entry() != null) {
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
        List<BlockKey> touch = new ArrayList<>();
        Slot[] slots;
        int joined = 0;
        long now = clock.millis();
        lock.lock();
        try {
            checkAccepting();
            List<BlockKey> keys = cover(id, object.size(), offset, end);
            slots = new Slot[keys.size()];
            for (int k = 0; k < slots.length; k++) {
                BlockKey key = keys.get(k);
                Entry entry = index.get(key);
                if (entry != null) {
                    policy.onAccess(key);
                    if (now - entry.touchedMillis >= options.touchInterval().toMillis()) {
                        entry.touchedMillis = now;
                        touch.add(key);
                    }
                    slots[k] = new Slot(key, entry, null, false);
                    continue;
                }
                Fetch fetch = inFlight.get(key);
                boolean arrived = false;
                if (fetch != null) {
                    joined++;
                    arrived = fetch.future.isDone() && !fetch.future.isCompletedExceptionally();
                } else {
                    fetch = startTracking(key);
                    claimed.add(fetch);
                }
                slots[k] = new Slot(key, null, fetch.future, arrived);
            }
        } finally {
            lock.unlock();
        }
        if (joined > 0) {
            options.onJoinInFlight().run();
        }
        startFetches(object, claimed);
        for (BlockKey key : touch) {
            try {
                files.setLastModified(pathOf(key), Instant.ofEpochMilli(now));
            } catch (IOException e) {
                // best effort: the block may just have been evicted; recency is a hint
            }
        }
        return slots;
    }

    /**
     * The blocks covering {@code [offset, end)} in order: those cached or in flight, and new ones (not yet
     * tracked) for the gaps, each new one from a grain line or cut up to the next one, clipped to the gap.
     * Caller holds the lock.
     */
    private List<BlockKey> cover(ObjectId id, long size, long offset, long end) {
        TreeMap<Long, BlockKey> known = blocksOf.get(id);
        long[] objectCuts = cuts.get(id);
        List<BlockKey> out = new ArrayList<>(4);
        long pos = offset;
        long gapStart = 0; // where the gap containing pos began: the end of the known block before it
        if (known != null) {
            Map.Entry<Long, BlockKey> before = known.floorEntry(pos);
            if (before != null) {
                if (before.getValue().end() > pos) {
                    out.add(before.getValue());
                    pos = before.getValue().end();
                }
                gapStart = Math.min(pos, before.getValue().end());
            }
        }
        while (pos < end) {
            Map.Entry<Long, BlockKey> next = known == null ? null : known.ceilingEntry(pos);
            if (next != null && next.getKey() == pos) {
                out.add(next.getValue());
                pos = next.getValue().end();
                gapStart = pos;
                continue;
            }
            long limit = next == null ? size : next.getKey();
            long start = Math.max(gapStart, BlockBounds.start(objectCuts, shift, pos));
            long stop = Math.min(limit, BlockBounds.end(objectCuts, shift, start, size));
            out.add(id.block(start, stop - start));
            pos = stop;
            gapStart = stop;
        }
        return out;
    }

    /** Puts a new fetch of {@code key} in flight and tracks the block. Caller holds the lock. */
    private Fetch startTracking(BlockKey key) {
        Fetch fetch = new Fetch(key);
        inFlight.put(key, fetch);
        blocksOf.computeIfAbsent(new ObjectId(key.idHigh(), key.idLow()), o -> new TreeMap<>()).put(key.start(), key);
        return fetch;
    }

    /**
     * Forgets a block that is neither cached nor in flight any more (and any hold on it: the planner is told by the
     * failed prefetch or plans it again). Caller holds the lock.
     */
    private void untrackIfGone(BlockKey key) {
        if (index.containsKey(key) || inFlight.containsKey(key)) {
            return;
        }
        held.remove(key);
        ObjectId id = new ObjectId(key.idHigh(), key.idLow());
        TreeMap<Long, BlockKey> known = blocksOf.get(id);
        if (known != null && key.equals(known.get(key.start()))) {
            known.remove(key.start());
            if (known.isEmpty()) {
                blocksOf.remove(id);
            }
        }
    }

    /** The verified bytes of one block: from its file, or from its fetch. */
    private Block resolve(ObjectVersion object, ObjectId id, Slot slot) {
        BlockKey wanted = slot.key();
        for (int attempt = 1; ; attempt++) {
            if (slot.entry() == null) {
                byte[] data = await(slot.pending(), object, slot.key());
                return new Block(data, 0, data.length, false);
            }
            Block cached = readCached(object, slot.key(), slot.entry());
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
    private Block readCached(ObjectVersion object, BlockKey key, Entry entry) {
        Path path = pathOf(key);
        byte[] raw;
        try {
            raw = files.read(path);
        } catch (NoSuchFileException e) {
            forget(key, entry, null); // evicted between our look-up and the open, or removed by someone
            return null;
        } catch (IOException e) {
            forget(key, entry, "unreadable: " + e);
            return null;
        }
        try {
            int offset = BlockFormat.verify(raw, bucket, object, grain, key.start(), key.length());
            return new Block(raw, offset, key.length(), true);
        } catch (BlockFormat.CorruptBlockException e) {
            forget(key, entry, e.getMessage());
            return null;
        }
    }

    /** Drops a block whose file is gone ({@code reason == null}) or bad, if the index still holds that entry. */
    private void forget(BlockKey key, Entry entry, String reason) {
        if (reason != null) {
            corrupt.increment();
            log.warn("dropping corrupt cache block {}: {}", pathOf(key), reason);
        }
        lock.lock();
        try {
            if (index.get(key) == entry) {
                remove(key, false);
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
                    untrackIfGone(fetch.key);
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
            long fileBytes = (long) header.length + data.length;
            if (!reserve(fileBytes)) {
                notWritten = "no room: held blocks and writes in progress fill the capacity";
                return;
            }
            reserved = fileBytes;
            Path target = pathOf(key);
            tmp = target.resolveSibling(target.getFileName() + "." + tempCounter.incrementAndGet() + BlockFiles.TEMP_SUFFIX);
            Instant now = clock.instant();
            writeWithOneRetry(tmp, header, data, fileBytes);
            files.setLastModified(tmp, now);
            lock.lock();
            try {
                if (closed) {
                    return; // finally: release the reservation, delete the temp file
                }
                files.move(tmp, target);
                tmp = null;
                Entry previous = index.put(key, new Entry(fileBytes, now.toEpochMilli()));
                if (previous != null) { // cannot happen while the block is in flight; keep the books straight anyway
                    policy.onRemove(key);
                    usedBytes -= previous.fileBytes;
                }
                if (!held.contains(key)) {
                    policy.onInsert(key, fileBytes);
                }
                reserved = 0; // the reservation is now the entry's
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
                untrackIfGone(key);
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
            BlockKey victim = policy.victim();
            if (victim == null) {
                return;
            }
            if (!index.containsKey(victim)) {
                throw new IllegalStateException("eviction policy chose a block that is not cached: " + victim);
            }
            remove(victim, true);
        }
    }

    /** Removes a block from index and policy and deletes its file. Caller holds the lock. */
    private void remove(BlockKey key, boolean eviction) {
        Entry entry = index.remove(key);
        if (entry == null) {
            return;
        }
        policy.onRemove(key);
        usedBytes -= entry.fileBytes;
        if (eviction) {
            evictions.increment();
        }
        untrackIfGone(key);
        deleteQuietly(pathOf(key));
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

    private record Found(BlockKey key, long size, long mtimeMillis) {
    }

    /** Lists the block files (no data is read), deletes temp and stray files, and fills index and policy. */
    private void rebuildIndex() throws IOException {
        Files.createDirectories(root);
        List<Found> found = new ArrayList<>();
        int temps = 0;
        int strays = 0;
        try (DirectoryStream<Path> level1 = Files.newDirectoryStream(root)) {
            for (Path d1 : level1) {
                if (!Files.isDirectory(d1)) {
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
                                if (key == null || key.length() > grain || !attributes.isRegularFile()
                                        || !pathOf(key).equals(file)) {
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
                if (overlapsKnown(f.key())) { // cannot happen through this class; never serve two versions of a byte
                    log.warn("deleting cache block {}: it overlaps another block of the object", pathOf(f.key()));
                    Files.deleteIfExists(pathOf(f.key()));
                    strays++;
                    continue;
                }
                index.put(f.key(), new Entry(f.size(), f.mtimeMillis()));
                blocksOf.computeIfAbsent(new ObjectId(f.key().idHigh(), f.key().idLow()), o -> new TreeMap<>())
                        .put(f.key().start(), f.key());
                policy.onInsert(f.key(), f.size());
                usedBytes += f.size();
            }
            evictDownTo(capacityBytes);
        } finally {
            lock.unlock();
        }
        log.info("extent cache {}: {} blocks, {} bytes of {}; removed {} temp and {} stray files", root, index.size(),
                usedBytes, capacityBytes, temps, strays);
    }

    /** True when a tracked block of the same object shares a byte with {@code key}. Caller holds the lock. */
    private boolean overlapsKnown(BlockKey key) {
        TreeMap<Long, BlockKey> known = blocksOf.get(new ObjectId(key.idHigh(), key.idLow()));
        if (known == null) {
            return false;
        }
        Map.Entry<Long, BlockKey> before = known.floorEntry(key.start());
        Map.Entry<Long, BlockKey> after = known.ceilingEntry(key.start());
        return before != null && before.getValue().end() > key.start() || after != null && after.getKey() < key.end();
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
            for (BlockKey key : cover(id, object.size(), 0, object.size())) {
                if (!index.containsKey(key) && !inFlight.containsKey(key)) {
                    claimed.add(startTracking(key));
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
            for (BlockKey key : cover(id, object.size(), offset, end)) {
                boolean cached = index.containsKey(key);
                Fetch fetch = cached ? null : inFlight.get(key);
                if (!cached && fetch == null) {
                    fetch = startTracking(key);
                    claimed.add(fetch);
                }
                if (hold && held.add(key)) {
                    policy.onRemove(key);
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
            TreeMap<Long, BlockKey> known = blocksOf.get(id);
            if (known == null) {
                return;
            }
            Long from = known.floorKey(offset);
            List<BlockKey> touched = new ArrayList<>(known.subMap(from == null ? offset : from, end).values());
            for (BlockKey key : touched) {
                if (key.end() <= offset) {
                    continue;
                }
                boolean wasHeld = held.remove(key);
                Entry entry = index.get(key);
                if (entry == null) {
                    continue; // in flight: lands unheld and ages out
                }
                if (drop) {
                    remove(key, false);
                    released.increment();
                } else if (wasHeld) {
                    policy.onInsert(key, entry.fileBytes);
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
        lock.lock();
        try {
            TreeMap<Long, BlockKey> known = blocksOf.get(id);
            if (known != null) {
                for (BlockKey key : known.values()) {
                    if (index.containsKey(key)) {
                        out.add(new Range(key.start(), key.length()));
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
            return held.size();
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
            blocks = index.size();
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
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        } finally {
            lock.unlock();
        }
        meters.forEach(registry::remove);
        try {
            dirLock.release();
            lockChannel.close();
        } catch (IOException e) {
            log.warn("cannot release the lock on {}: {}", root, e.toString());
        }
    }
}
