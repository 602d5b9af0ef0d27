package io.prefetchd.gateway.prefetch;

import java.util.BitSet;
import java.util.TreeMap;

/**
 * Where one dataset's reader is: which epoch, how much of it was read, and when the next one starts. The planner
 * needs {@code onEpochStart} at the boundary; this class decides when that is.
 *
 * <ul>
 *   <li><b>Hinted epochs.</b> A job publishes epoch {@code e} as its sampler starts iterating it, so publishing an
 *       epoch later than the current one starts it, unless the current hinted epoch is still less than
 *       {@value #EARLY_PUBLISH_FRACTION} read: then the order was published ahead (a sampler that knows the next
 *       order early) and the epoch starts when every sample of the current order has been read once, or when
 *       more than {@value #MAX_REPEATS} reads in a row re-read samples of the current epoch (the job stopped
 *       the epoch early and went on). An epoch the job ended ({@code EndEpoch}) holds nothing back: the next
 *       published order starts at once, even when the client's page cache served the ended epoch and the gateway
 *       saw few of its reads.</li>
 *   <li><b>Unhinted epochs.</b> A sample read a second time once at least {@value #COVERAGE} of the dataset was
 *       read, or the first read after an idle gap, starts the next epoch. A reader silent for longer than the
 *       idle gap has finished its epoch ({@link #silentFor}): its report need not wait for that next read.</li>
 * </ul>
 * Each sample counts once per epoch ({@link #firstReadInEpoch}): a sample read in several NFS READs, or read
 * again by the kernel's read-ahead, is one access for the planner. A sample with no bytes (a zero-byte file) is
 * never seen in a READ, so it counts as read from the start of every epoch.
 *
 * <p>Not thread-safe: confined to the executor's thread.
 */
final class EpochTracker {
    static final double EARLY_PUBLISH_FRACTION = 0.9;
    static final double COVERAGE = 0.9;
    /** Reads of samples already read this epoch, in a row, after which a hinted epoch is taken as over. */
    static final int MAX_REPEATS = 64;

    private final int sampleCount;
    private final long idleGapNanos;
    private final BitSet read;
    private final BitSet empty;
    private final TreeMap<Integer, Integer> published = new TreeMap<>(); // epoch -> order length
    private int epoch = -1;
    private int distinct;
    private long lastReadNanos = Long.MIN_VALUE;
    private int repeats;
    /** The job ended the current epoch ({@code EndEpoch}). */
    private boolean endedByJob;

    EpochTracker(int sampleCount, BitSet emptySamples, long idleGapNanos) {
        this.sampleCount = sampleCount;
        this.idleGapNanos = idleGapNanos;
        this.read = new BitSet(sampleCount);
        this.empty = (BitSet) emptySamples.clone();
    }

    int epoch() {
        return epoch;
    }

    int distinctRead() {
        return distinct;
    }

    /** True when {@code sample} was read in the current epoch (or has no bytes). */
    boolean wasRead(int sample) {
        return read.get(sample);
    }

    boolean hinted(int e) {
        return published.containsKey(e);
    }

    /** Length of the published order of {@code e}, 0 when none was published. */
    int orderLength(int e) {
        return published.getOrDefault(e, 0);
    }

    /**
     * An order for {@code e} of {@code length} samples arrived. Returns the epoch that starts now, or -1 when
     * none does (the order is for the current epoch, an old one, or published ahead of time).
     */
    int onPublish(int e, int length) {
        published.put(e, length);
        published.headMap(Math.min(e, epoch)).clear();
        if (e <= epoch) {
            return -1;
        }
        Integer current = published.get(epoch);
        if (epoch >= 0 && current != null && !endedByJob && distinct < EARLY_PUBLISH_FRACTION * current) {
            return -1; // published ahead (or before the current one was read): starts when the current one is done
        }
        start(e);
        return e;
    }

    /**
     * A reader touched {@code sample}. Returns the epoch that starts with this read, or -1 (the read belongs to the
     * current epoch). Call {@link #firstReadInEpoch} next.
     */
    int beforeRead(int sample, long nowNanos) {
        long last = lastReadNanos;
        lastReadNanos = nowNanos;
        if (epoch < 0) {
            start(0);
            return 0;
        }
        Integer current = published.get(epoch);
        if (current != null) {
            Integer next = published.higherKey(epoch);
            boolean done = distinct >= Math.min(current, sampleCount);
            // a job that read only part of an epoch (drop_last, a break) and went on: it re-reads samples
            boolean movedOn = read.get(sample) && ++repeats > MAX_REPEATS;
            if (!read.get(sample)) {
                repeats = 0;
            }
            if (next != null && (done || movedOn || endedByJob)) {
                start(next);
                return next;
            }
            return -1;
        }
        boolean idle = last != Long.MIN_VALUE && nowNanos - last > idleGapNanos;
        boolean wrapped = read.get(sample) && distinct >= COVERAGE * sampleCount;
        if (idle && distinct > 0 || wrapped) {
            Integer next = published.higherKey(epoch);
            start(next != null ? next : epoch + 1);
            return epoch;
        }
        return -1;
    }

    /** The job said it finished epoch {@code e} ({@code EndEpoch}): when it is the current one, it holds nothing back. */
    void onEnd(int e) {
        if (e == epoch) {
            endedByJob = true;
        }
    }

    /**
     * Whether no sample was read for longer than the idle gap before {@code nowNanos} (false before any read): the
     * next read starts a new epoch, unless the current one is hinted.
     */
    boolean silentFor(long nowNanos) {
        return lastReadNanos != Long.MIN_VALUE && nowNanos - lastReadNanos > idleGapNanos;
    }

    /** Marks {@code sample} read in this epoch; false when it already was. */
    boolean firstReadInEpoch(int sample) {
        if (read.get(sample)) {
            return false;
        }
        read.set(sample);
        distinct++;
        return true;
    }

    private void start(int e) {
        epoch = e;
        read.clear();
        read.or(empty);
        distinct = empty.cardinality();
        repeats = 0;
        endedByJob = false;
    }
}
