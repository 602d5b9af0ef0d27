package io.prefetchd.planner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The part of the future the planner knows: consecutive epochs' orders laid out on one line of read positions.
 *
 * <p>Segment {@code k} covers positions {@code [base, base + size)}; the next segment starts where the previous
 * ends, because a published next epoch is assumed to begin when the current one ends ({@link #rebase} corrects that
 * when the epoch actually starts). For each segment we keep, per sample, the first position and a "next position
 * of the same sample" chain (none for a permutation, where no sample repeats), plus a bit per position saying it was
 * read: with the order itself, 8 bytes and a bit per sample for a shuffled epoch. That answers the two questions the engine
 * asks, in O(1) for permutations (O(repeats) otherwise):
 * <ul>
 *   <li>{@link #nextUse}: the first unread position of a sample at or after a position (Belady's key);</li>
 *   <li>{@link #match}: which position a read corresponds to (reads may arrive slightly out of order).</li>
 * </ul>
 * Orders for later epochs that arrive before the one in between are held back until it arrives.
 *
 * <p>Not thread-safe; owned by one engine.
 */
final class KnownFuture {
    static final long NEVER = Long.MAX_VALUE;

    private final int universe;
    private final List<Segment> segments = new ArrayList<>();
    private final List<EpochOrder> pending = new ArrayList<>();

    KnownFuture(int universe) {
        this.universe = universe;
    }

    private final class Segment {
        final int epoch;
        long base;
        final int[] samples;
        /** The next index of the same sample, or -1; null when no sample repeats (a permutation). */
        final int @Nullable [] nextSame;
        final int[] first;
        final BitSet read;

        Segment(EpochOrder order, long base) {
            this.epoch = order.epoch();
            this.base = base;
            this.samples = order.unsafeArray();
            this.first = new int[universe];
            this.read = new BitSet(samples.length);
            Arrays.fill(first, -1);
            int[] next = null;
            for (int i = samples.length - 1; i >= 0; i--) {
                int s = samples[i];
                if (first[s] >= 0) {
                    if (next == null) {
                        next = new int[samples.length];
                        Arrays.fill(next, -1);
                    }
                    next[i] = first[s];
                }
                first[s] = i;
            }
            this.nextSame = next;
        }

        long end() {
            return base + samples.length;
        }

        /** First unread index of {@code sample} at or after absolute position {@code from}, or -1. */
        int firstUnread(int sample, long from) {
            int i = first[sample];
            while (i >= 0 && (base + i < from || read.get(i))) {
                i = nextSame == null ? -1 : nextSame[i];
            }
            return i;
        }
    }

    boolean isEmpty() {
        return segments.isEmpty();
    }

    /** First known position (inclusive), or {@link #NEVER} if nothing is known. */
    long start() {
        return segments.isEmpty() ? NEVER : segments.get(0).base;
    }

    /** One past the last known position, or {@link #NEVER}. */
    long end() {
        return segments.isEmpty() ? NEVER : segments.get(segments.size() - 1).end();
    }

    int firstEpoch() {
        return segments.isEmpty() ? -1 : segments.get(0).epoch;
    }

    int lastEpoch() {
        return segments.isEmpty() ? -1 : segments.get(segments.size() - 1).epoch;
    }

    /**
     * Adds or replaces an epoch's order. A first segment starts at {@code baseIfFirst}; a replaced one keeps its
     * base; a later one is appended when it directly follows, else held until the gap is filled.
     *
     * @return true if the known future changed
     */
    boolean put(EpochOrder order, long baseIfFirst) {
        for (int k = 0; k < segments.size(); k++) {
            Segment s = segments.get(k);
            if (s.epoch == order.epoch()) {
                Segment replaced = new Segment(order, s.base);
                segments.set(k, replaced);
                // later segments follow the replaced one
                long base = replaced.end();
                for (int j = k + 1; j < segments.size(); j++) {
                    segments.get(j).base = base;
                    base = segments.get(j).end();
                }
                return true;
            }
        }
        if (segments.isEmpty()) {
            segments.add(new Segment(order, baseIfFirst));
            drainPending();
            return true;
        }
        if (order.epoch() < segments.get(0).epoch) {
            return false; // an epoch that is over
        }
        if (order.epoch() == lastEpoch() + 1) {
            segments.add(new Segment(order, end()));
            drainPending();
            return true;
        }
        hold(order);
        return false;
    }

    /** Keeps an order until its epoch starts ({@link #rebase}) or the epoch before it is known. */
    void hold(EpochOrder order) {
        pending.removeIf(p -> p.epoch() == order.epoch());
        pending.add(order);
    }

    private void drainPending() {
        boolean progress = true;
        while (progress) {
            progress = false;
            for (int i = 0; i < pending.size(); i++) {
                EpochOrder p = pending.get(i);
                if (p.epoch() <= lastEpoch()) {
                    pending.remove(i);
                    progress = true;
                    break;
                }
                if (p.epoch() == lastEpoch() + 1) {
                    pending.remove(i);
                    segments.add(new Segment(p, end()));
                    progress = true;
                    break;
                }
            }
        }
    }

    /**
     * Epoch {@code epoch} starts at {@code position}: segments of earlier epochs are dropped; if its order is
     * known (or held back), it and the segments after it are moved to start there.
     *
     * @return true if positions moved or segments were dropped
     */
    boolean rebase(int epoch, long position) {
        boolean changed = segments.removeIf(s -> s.epoch < epoch);
        pending.removeIf(p -> p.epoch() < epoch);
        if (segments.isEmpty()) {
            for (EpochOrder p : List.copyOf(pending)) {
                if (p.epoch() == epoch) {
                    pending.remove(p);
                    segments.add(new Segment(p, position));
                    drainPending();
                    return true;
                }
            }
            return changed;
        }
        if (segments.get(0).epoch != epoch) {
            // the starting epoch's order is unknown: later epochs cannot be placed yet
            for (Segment s : segments) {
                pending.add(EpochOrder.of(s.epoch, s.samples));
            }
            segments.clear();
            return true;
        }
        long base = position;
        for (Segment s : segments) {
            if (s.base != base) {
                changed = true;
            }
            s.base = base;
            base = s.end();
        }
        return changed;
    }

    void clear() {
        segments.clear();
        pending.clear();
    }

    /** Drops whole segments that end at or before {@code position}. */
    void dropBefore(long position) {
        while (!segments.isEmpty() && segments.get(0).end() <= position) {
            segments.remove(0);
        }
    }

    /** The sample read at {@code position}, or -1 if that position is not known. */
    int sampleAt(long position) {
        Segment s = segmentOf(position);
        return s == null ? -1 : s.samples[(int) (position - s.base)];
    }

    boolean isRead(long position) {
        Segment s = segmentOf(position);
        return s != null && s.read.get((int) (position - s.base));
    }

    private @Nullable Segment segmentOf(long position) {
        for (Segment s : segments) {
            if (position >= s.base && position < s.end()) {
                return s;
            }
        }
        return null;
    }

    /** The first unread position of {@code sample} at or after {@code from}, or {@link #NEVER}. */
    long nextUse(int sample, long from) {
        for (Segment s : segments) {
            if (s.end() <= from) {
                continue;
            }
            int i = s.firstUnread(sample, from);
            if (i >= 0) {
                return s.base + i;
            }
        }
        return NEVER;
    }

    /**
     * Matches a read of {@code sample} to its position: the first unread occurrence in {@code [floor, ceiling]};
     * marks it read.
     *
     * @return the position, or -1 if the read is not where the known future expects it
     */
    long match(int sample, long floor, long ceiling) {
        for (Segment s : segments) {
            if (s.end() <= floor) {
                continue;
            }
            if (s.base > ceiling) {
                break;
            }
            int i = s.firstUnread(sample, floor);
            if (i >= 0 && s.base + i <= ceiling) {
                s.read.set(i);
                return s.base + i;
            }
        }
        return -1;
    }

    /** Marks {@code position} read without a read (the caller skipped it). */
    void markRead(long position) {
        Segment s = segmentOf(position);
        if (s != null) {
            s.read.set((int) (position - s.base));
        }
    }
}
