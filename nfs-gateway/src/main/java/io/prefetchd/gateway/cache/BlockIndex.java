package io.prefetchd.gateway.cache;

import static java.util.Objects.requireNonNull;

import io.prefetchd.gateway.cache.ExtentCache.Range;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which blocks the cache has and which are on their way: the {@link BlockTable} of every block on disk or in
 * flight, the in-flight map that makes every block one GET however many readers want it, and the lock over them,
 * over the blocks on disk and their capacity ({@link StoredBlocks}) and over the index on disk
 * ({@link IndexJournal}).
 *
 * <h2>Claims</h2>
 * A read {@link #claim}s, under the lock, every missing block of its range that no one is fetching yet and joins
 * the fetches of blocks someone else is fetching. Blocks of an object never overlap: a range is served by the
 * cached or in-flight blocks it meets plus new blocks cut from the gaps between them, each from a grain line or a
 * sample bound ({@link BlockCuts}) to the next, so blocks cut before a bound was known stay valid. A fetched block
 * leaves the in-flight map only once it is on disk and indexed, or given up ({@link #settle}).
 *
 * <h2>Holds</h2>
 * A prefetch with {@code hold} takes its blocks out of the eviction policy ({@link StoredBlocks}), so only
 * {@link #release} removes them; blocks in flight land held.
 *
 * <h2>Thread-safety</h2>
 * One {@link ReentrantLock} guards the table, the policy, the journal, {@code usedBytes}, the in-flight map and
 * the block-file namespace: renames into place and deletions of block files happen under it (single metadata
 * operations), so an evicting thread never deletes a file another thread has just renamed into place. Data is
 * read and written outside it; so are the sample bounds ({@link BlockCuts}) and the counters.
 */
final class BlockIndex {
    private static final Logger log = LoggerFactory.getLogger(BlockIndex.class);

    /** What a claim found: the range's blocks in offset order, the ones this caller must fetch, any joined. */
    record Claim(ReadPart[] parts, List<Fetch> claimed, boolean joined) {
    }

    /** What a prefetch claimed, and what it waits for (every block of its range that is not on disk yet). */
    record Prefetch(List<Fetch> claimed, List<CompletableFuture<Void>> waits) {
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition drained = lock.newCondition();
    private final CacheFolder folder;
    private final int shift;
    private final CacheMeters meters;
    private final BlockCuts cuts;
    private final BlockTable table;
    private final IndexJournal journal;
    private final StoredBlocks stored;
    private final Map<BlockKey, Fetch> inFlight = new HashMap<>();
    private volatile boolean accepting = true;
    private boolean closed;

    /** Takes over what {@link IndexLoader} loaded and evicts down to {@code capacityBytes}. */
    BlockIndex(CacheFolder folder, int grain, long capacityBytes, IndexLoader.Loaded loaded, BlockCuts cuts,
            CacheMeters meters, long checkpointRecords, @Nullable Executor checkpoints) {
        this.folder = folder;
        this.shift = Integer.numberOfTrailingZeros(grain);
        this.meters = meters;
        this.cuts = cuts;
        this.table = loaded.table();
        this.journal = new IndexJournal(folder.root(), grain, lock, table, loaded.policy(), loaded.index(),
                checkpointRecords, checkpoints);
        this.stored = new StoredBlocks(folder, loaded, journal, meters, capacityBytes, this::untrackIfGone);
        lock.lock();
        try {
            stored.evictDownTo(capacityBytes);
        } finally {
            lock.unlock();
        }
        log.info("extent cache {}: {} blocks, {} bytes of {}", folder.root(), stored.cachedBlocks(),
                stored.usedBytes(), capacityBytes);
    }

    // ---------------------------------------------------------------- claims

    /**
     * Sorts the blocks covering {@code [offset, end)} into cached (counted as accessed), being fetched by someone
     * else, and claimed by this caller (new blocks cut from the gaps, now in flight: the caller must fetch them).
     */
    Claim claim(ObjectId id, long size, long offset, long end) {
        List<Fetch> claimed = new ArrayList<>();
        boolean joined = false;
        lock.lock();
        try {
            checkAccepting();
            List<BlockCuts.Covered> blocks = cuts.cover(table, id, size, offset, end);
            ReadPart[] parts = new ReadPart[blocks.size()];
            for (int k = 0; k < parts.length; k++) {
                BlockCuts.Covered block = blocks.get(k);
                if (block.slot() >= 0 && table.isCached(block.slot())) {
                    stored.accessed(block.slot());
                    parts[k] = new ReadPart(block.key(), block.slot(), null, false);
                    continue;
                }
                Fetch fetch = block.slot() >= 0 ? inFlight.get(block.key()) : null;
                boolean arrived = false;
                if (fetch != null) {
                    joined = true;
                    arrived = fetch.future.isDone() && !fetch.future.isCompletedExceptionally();
                } else {
                    fetch = track(block.key());
                    claimed.add(fetch);
                }
                parts[k] = new ReadPart(block.key(), fetch.slot, fetch.future, arrived);
            }
            return new Claim(parts, claimed, joined);
        } finally {
            lock.unlock();
        }
    }

    /**
     * As {@link #claim} for a prefetch: claims the missing blocks without counting access to the cached ones, and
     * with {@code hold} takes every block of the range out of the eviction policy until {@link #release}.
     */
    Prefetch claimPrefetch(ObjectId id, long size, long offset, long end, boolean hold) {
        List<Fetch> claimed = new ArrayList<>();
        List<CompletableFuture<Void>> waits = new ArrayList<>();
        lock.lock();
        try {
            checkAccepting();
            for (BlockCuts.Covered block : cuts.cover(table, id, size, offset, end)) {
                boolean cached = block.slot() >= 0 && table.isCached(block.slot());
                Fetch fetch = cached || block.slot() < 0 ? null : inFlight.get(block.key());
                if (!cached && fetch == null) {
                    fetch = track(block.key());
                    claimed.add(fetch);
                }
                int slot = cached ? block.slot() : requireNonNull(fetch, "an uncached block is fetched").slot;
                if (hold && !table.setHeld(slot, true)) {
                    stored.held(slot);
                }
                if (fetch != null) {
                    waits.add(fetch.stored);
                }
            }
        } finally {
            lock.unlock();
        }
        return new Prefetch(claimed, waits);
    }

    /** Claims the blocks of the whole object that are neither cached nor in flight (an offer fills them). */
    List<Fetch> claimMissing(ObjectId id, long size) {
        List<Fetch> claimed = new ArrayList<>();
        lock.lock();
        try {
            checkAccepting();
            for (BlockCuts.Covered block : cuts.cover(table, id, size, 0, size)) {
                if (block.slot() < 0) {
                    claimed.add(track(block.key()));
                }
            }
        } finally {
            lock.unlock();
        }
        return claimed;
    }

    /** Puts a new fetch of {@code key} in flight and tracks the block. Caller holds the lock. */
    private Fetch track(BlockKey key) {
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

    // ---------------------------------------------------------------- blocks landing and leaving

    /**
     * Renames a fetched block's written temporary file into place and indexes the block.
     *
     * @return false when the cache has closed meanwhile (the file was not moved)
     */
    boolean commit(Fetch fetch, Path tmp, int headerBytes) throws IOException {
        lock.lock();
        try {
            if (closed) {
                return false;
            }
            folder.moveIntoPlace(tmp, fetch.key);
            stored.stored(fetch.slot, headerBytes);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Ends a fetch that landed or did not: gives back {@code unreserve} bytes and takes it out of flight. */
    void settle(Fetch fetch, long unreserve) {
        lock.lock();
        try {
            stored.unreserve(unreserve);
            inFlight.remove(fetch.key, fetch);
            untrackIfGone(fetch.slot, fetch.key);
            signalIfDrained();
        } finally {
            lock.unlock();
        }
    }

    /** Takes the fetches of a failed GET out of flight. */
    void settleFailed(List<Fetch> run) {
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
    }

    /** Drops a block whose file is missing or bad, if the index still holds it at {@code slot}. */
    void forget(BlockKey key, int slot) {
        lock.lock();
        try {
            if (table.isCached(slot) && key.equals(table.key(slot))) {
                stored.remove(slot, false);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Counts {@code bytes} into the used bytes, evicting until within capacity; false if it cannot fit. */
    boolean reserve(long bytes) {
        lock.lock();
        try {
            return !closed && stored.reserve(bytes);
        } finally {
            lock.unlock();
        }
    }

    /** Evicts at least {@code bytes} of blocks if it can (a write failed: the disk may be full); returns those freed. */
    long relieve(long bytes) {
        lock.lock();
        try {
            return stored.relieve(bytes);
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- the planner's view

    /**
     * Ends the hold on the blocks of {@code [offset, end)}; with {@code drop} the cached ones are deleted too,
     * otherwise they join the eviction order as just used. Returns the blocks dropped.
     */
    int release(ObjectId id, long offset, long end, boolean drop) {
        int dropped = 0;
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
                        stored.remove(slot, false);
                        dropped++;
                    } else if (wasHeld) {
                        stored.unheld(slot);
                    }
                }
            }
        } finally {
            lock.unlock();
        }
        return dropped;
    }

    /** The object's cached blocks in the grains that {@code [from, to)} touches, by offset. */
    List<Range> cachedRanges(ObjectId id, long from, long to) {
        List<Range> out = new ArrayList<>();
        if (to <= from) {
            return out;
        }
        lock.lock();
        try {
            for (long cell = from >>> shift; cell <= (to - 1) >>> shift; cell++) {
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

    // ---------------------------------------------------------------- state and close

    int heldBlocks() {
        lock.lock();
        try {
            return table.heldCount();
        } finally {
            lock.unlock();
        }
    }

    /** Bytes of block files and writes in progress; read without the lock. */
    long usedBytes() {
        return stored.usedBytes();
    }

    CacheStats stats() {
        lock.lock();
        try {
            return meters.stats(stored.capacityBytes(), stored.usedBytes(), stored.cachedBlocks());
        } finally {
            lock.unlock();
        }
    }

    void checkAccepting() {
        if (!accepting) {
            throw new IllegalStateException("extent cache " + folder.root() + " is closed");
        }
    }

    /** Waits until no block is being fetched or written; false if some still were after {@code timeout}. */
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

    /**
     * Refuses new claims, waits up to {@code timeout} for fetches in flight to be written, then stops indexing
     * blocks and writes the final checkpoint.
     *
     * @return false if it was closed already
     */
    boolean close(Duration timeout) {
        lock.lock();
        try {
            if (!accepting) {
                return false;
            }
            accepting = false;
            long remaining = timeout.toNanos();
            try {
                while (!inFlight.isEmpty() && remaining > 0) {
                    remaining = drained.awaitNanos(remaining);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (!inFlight.isEmpty()) {
                log.warn("closing extent cache {} with {} blocks still being fetched; they will not be cached",
                        folder.root(), inFlight.size());
            }
            closed = true;
            journal.save();
        } finally {
            lock.unlock();
        }
        journal.shutdown(timeout);
        return true;
    }

    private void signalIfDrained() {
        if (inFlight.isEmpty()) {
            drained.signalAll();
        }
    }
}
