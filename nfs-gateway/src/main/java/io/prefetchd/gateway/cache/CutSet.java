package io.prefetchd.gateway.cache;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.LongStream;

import static java.util.Objects.requireNonNull;

/**
 * Offsets inside an object where its blocks end besides grain lines (the sample bounds of a dataset index), as a
 * sorted set asked by neighbour. A set need not hold its offsets: the prefetcher's sets answer from the mapped
 * dataset index, so cutting a 100 M-sample dataset's blocks at its samples costs no heap per sample.
 *
 * <p>Two sets are {@link #equals equal} when they are the same cuts of the same object: a set that is given again
 * replaces its equal in {@link ExtentCache#cutAt} instead of being added to it. Implementations are immutable and
 * thread-safe.
 */
public interface CutSet {
    /** The greatest cut {@code <= pos}, or a negative number when there is none. */
    long floor(long pos);

    /** The least cut {@code > pos}, or {@link Long#MAX_VALUE} when there is none. */
    long higher(long pos);

    /** The set of {@code offsets} (any order, repeats allowed), copied. */
    static CutSet of(long... offsets) {
        return new Sorted(Arrays.stream(offsets).sorted().distinct().toArray());
    }

    /**
     * The union of two sets: arrays merge into one; other sets are kept side by side, a set equal to one already
     * there replacing it.
     */
    static CutSet union(CutSet a, CutSet b) {
        requireNonNull(a, "a is null");
        requireNonNull(b, "b is null");
        List<CutSet> parts = new ArrayList<>();
        for (CutSet s : List.of(a, b)) {
            for (CutSet part : s instanceof Union u ? u.parts : List.of(s)) {
                add(parts, part);
            }
        }
        return parts.size() == 1 ? parts.get(0) : new Union(List.copyOf(parts));
    }

    private static void add(List<CutSet> parts, CutSet part) {
        for (int i = 0; i < parts.size(); i++) {
            CutSet p = parts.get(i);
            if (p.equals(part)) {
                parts.set(i, part);
                return;
            }
            if (p instanceof Sorted x && part instanceof Sorted y) {
                parts.set(i, new Sorted(LongStream.concat(Arrays.stream(x.cuts), Arrays.stream(y.cuts)).sorted()
                        .distinct().toArray()));
                return;
            }
        }
        parts.add(part);
    }

    /** Cuts held in a sorted array of distinct offsets. */
    final class Sorted implements CutSet {
        private final long[] cuts;

        private Sorted(long[] sortedDistinct) {
            this.cuts = sortedDistinct;
        }

        @Override
        public long floor(long pos) {
            int i = Arrays.binarySearch(cuts, pos);
            int at = i >= 0 ? i : -i - 2;
            return at >= 0 ? cuts[at] : -1;
        }

        @Override
        public long higher(long pos) {
            int i = Arrays.binarySearch(cuts, pos);
            int at = i >= 0 ? i + 1 : -i - 1;
            return at < cuts.length ? cuts[at] : Long.MAX_VALUE;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Sorted s && Arrays.equals(cuts, s.cuts);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(cuts);
        }

        @Override
        public String toString() {
            return "cuts" + Arrays.toString(cuts);
        }
    }

    /** Several sets at once: the nearest cut of any of them. */
    record Union(List<CutSet> parts) implements CutSet {
        @Override
        public long floor(long pos) {
            long best = -1;
            for (CutSet p : parts) {
                best = Math.max(best, p.floor(pos));
            }
            return best;
        }

        @Override
        public long higher(long pos) {
            long best = Long.MAX_VALUE;
            for (CutSet p : parts) {
                best = Math.min(best, p.higher(pos));
            }
            return best;
        }
    }
}
