package io.prefetchd.gateway.nfs.v4.state;

import java.util.ArrayList;
import java.util.List;

/**
 * The POSIX arithmetic of one owner's locks on one file (fcntl(2) F_SETLK semantics): a new lock replaces whatever
 * the owner held on its bytes (so a read lock inside a write lock downgrades those bytes and splits the write lock
 * in up to two, and a write lock over read locks upgrades them), unlocking removes bytes wherever they are (splitting
 * a lock that straddles the range), and touching or overlapping locks of the same type become one. Lists are sorted
 * by start, never overlap, and are never modified: every operation returns a new list.
 */
final class RangeSet {
    private RangeSet() {
    }

    /** {@code ranges} without the bytes of {@code cut}. */
    static List<LockRange> subtract(List<LockRange> ranges, LockRange cut) {
        List<LockRange> out = new ArrayList<>(ranges.size() + 1);
        for (LockRange r : ranges) {
            if (!r.overlaps(cut)) {
                out.add(r);
                continue;
            }
            if (Long.compareUnsigned(r.start(), cut.start()) < 0) {
                out.add(new LockRange(r.start(), cut.start() - 1, r.write()));
            }
            if (Long.compareUnsigned(cut.end(), r.end()) < 0) {
                out.add(new LockRange(cut.end() + 1, r.end(), r.write()));
            }
        }
        return out;
    }

    /** {@code ranges} with {@code lock} in place of whatever covered its bytes, merged with same-type neighbours. */
    static List<LockRange> put(List<LockRange> ranges, LockRange lock) {
        List<LockRange> rest = subtract(ranges, lock);
        List<LockRange> out = new ArrayList<>(rest.size() + 1);
        LockRange merged = lock;
        for (LockRange r : rest) {
            if (r.write() == merged.write() && touches(r, merged)) {
                merged = new LockRange(min(r.start(), merged.start()), max(r.end(), merged.end()), merged.write());
            } else {
                out.add(r);
            }
        }
        int at = 0;
        while (at < out.size() && Long.compareUnsigned(out.get(at).start(), merged.start()) < 0) {
            at++;
        }
        out.add(at, merged);
        return out;
    }

    /** Whether two ranges that do not overlap are adjacent (one ends right before the other starts). */
    private static boolean touches(LockRange a, LockRange b) {
        return (a.end() != -1L && a.end() + 1 == b.start()) || (b.end() != -1L && b.end() + 1 == a.start());
    }

    private static long min(long a, long b) {
        return Long.compareUnsigned(a, b) <= 0 ? a : b;
    }

    private static long max(long a, long b) {
        return Long.compareUnsigned(a, b) >= 0 ? a : b;
    }
}
