package io.prefetchd.gateway.cache;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the index on disk ({@link IndexFile}) in step with the {@link BlockTable} while the cache serves: a block
 * is journaled once its file is renamed into place, and again once its file is deleted; a clean close writes a
 * checkpoint in the eviction policy's order (so a restart keeps the order and the recently-used bits) and empties
 * the journal.
 *
 * <h2>Checkpoints while serving</h2>
 * When the journal outgrows the index (more records than {@code checkpointRecords} and than twice the blocks
 * cached), changes go to {@code journal.next} from then on and a fuzzy checkpoint is written on the checkpoint
 * executor, copying the table a slice at a time under the lock so that reads never wait for the whole file
 * (see {@link IndexFile} for why replaying {@code journal.next} over it makes the index exact).
 *
 * <h2>Failures</h2>
 * If the index cannot be written it is deleted and the cache goes on without one: the next open lists the folders
 * instead. An index entry whose file is gone costs a re-fetch; a file the index lost is unaccounted disk space.
 *
 * <p>Guarded by the {@link BlockIndex}'s lock, which every method but {@link #shutdown} expects the caller to
 * hold; the checkpoint task takes it itself, a slice at a time.
 */
final class IndexJournal {
    private static final Logger log = LoggerFactory.getLogger(IndexJournal.class);
    /** Slots copied per turn of the lock while a checkpoint is taken while serving. */
    private static final int SLICE = 1 << 14;

    private final Path root;
    private final int grain;
    private final ReentrantLock lock;
    private final BlockTable table;
    private final EvictionPolicy policy;
    private final long checkpointRecords;
    /** Runs checkpoints taken while serving. */
    private final Executor checkpoints;
    /** The thread behind {@link #checkpoints} when the journal has its own; shut down by {@link #shutdown}. */
    private final @Nullable ExecutorService ownThread;
    /** The index on disk; null once writing it failed or it was saved at close. */
    private @Nullable IndexFile index;
    /** While a checkpoint is being written while serving: {@code journal.next}, where changes go meanwhile. */
    private @Nullable IndexFile nextIndex;

    /**
     * @param index the journal to append to, as opened or written by {@link IndexLoader}
     * @param checkpoints runs checkpoints taken while serving; null for a thread of the journal's own
     */
    IndexJournal(Path root, int grain, ReentrantLock lock, BlockTable table, EvictionPolicy policy, IndexFile index,
            long checkpointRecords, @Nullable Executor checkpoints) {
        this.root = root;
        this.grain = grain;
        this.lock = lock;
        this.table = table;
        this.policy = policy;
        this.index = index;
        this.checkpointRecords = checkpointRecords;
        if (checkpoints == null) {
            this.ownThread = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "prefetchd-cache-checkpoint");
                t.setDaemon(true);
                return t;
            });
            this.checkpoints = ownThread;
        } else {
            this.ownThread = null;
            this.checkpoints = checkpoints;
        }
    }

    /** Appends a record ({@link IndexFile#ADDED} or {@link IndexFile#REMOVED}) of the block at {@code slot}. */
    void record(byte type, int slot) {
        IndexFile target = nextIndex != null ? nextIndex : index;
        if (target == null) {
            return;
        }
        try {
            target.append(type, table.idHigh(slot), table.idLow(slot), table.start(slot), table.length(slot),
                    table.headerBytes(slot));
        } catch (IOException | RuntimeException e) {
            abandon(e);
        }
    }

    /**
     * Starts a checkpoint once the journal holds more records than {@code checkpointRecords} and than twice the
     * {@code cachedBlocks}, so the journal stays within a small multiple of the index. Called between changes.
     */
    void checkpointIfLong(long cachedBlocks) {
        if (index == null || nextIndex != null || index.appended() <= Math.max(checkpointRecords, 2 * cachedBlocks)) {
            return;
        }
        IndexFile next;
        try {
            next = IndexFile.startNextJournal(root, grain, index.generation() + 1);
        } catch (IOException | RuntimeException e) {
            abandon(e);
            return;
        }
        nextIndex = next;
        int first = policy.orderStart();
        int limit = table.slotLimit();
        try {
            checkpoints.execute(() -> fuzzyCheckpoint(next, first, limit));
        } catch (RuntimeException e) { // rejected: the executor is shutting down
            abandon(e);
        }
    }

    /**
     * Writes a fuzzy checkpoint of the slots below {@code limit}, from {@code first} round, then puts it in place and
     * makes {@code next} the journal. Gives up (deleting what it wrote) when the cache closes or abandons its index
     * meanwhile. Runs on the checkpoint executor, without the lock.
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
                    requireNonNull(index, "a checkpoint in progress has an index").close();
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
                    abandon(e);
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

    /**
     * The cached blocks of {@code table} (held ones included), from the policy's order start round to it: the
     * records of a consistent checkpoint. Caller holds the lock, or has not shared the table yet.
     */
    static IndexFile.Records cachedBlocks(BlockTable table, EvictionPolicy policy) {
        return out -> {
            int limit = table.slotLimit();
            int first = limit == 0 ? 0 : Math.floorMod(policy.orderStart(), limit);
            for (int k = 0; k < limit; k++) {
                int slot = first + k < limit ? first + k : first + k - limit;
                if (table.isCached(slot)) {
                    out.put(table.idHigh(slot), table.idLow(slot), table.start(slot), table.length(slot),
                            table.headerBytes(slot), policy.recentlyUsed(slot));
                }
            }
        };
    }

    /** Writes the final checkpoint and closes the journal; a checkpoint taken while serving gives up. */
    void save() {
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
            IndexFile.checkpoint(root, grain, generation, cachedBlocks(table, policy), true).close();
        } catch (IOException | RuntimeException e) {
            abandon(e);
        }
    }

    /** Stops the journal's own checkpoint thread, if it has one, waiting up to {@code timeout}. Without the lock. */
    void shutdown(Duration timeout) {
        if (ownThread == null) {
            return;
        }
        ownThread.shutdown();
        try { // a checkpoint taken while serving notices the close and stops at its next slice
            ownThread.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void abandon(Exception e) {
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
}
