package io.prefetchd.planner;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * One order from a planner: drop {@code evictFirst} from the cache, then GET {@code object} bytes
 * {@code [offset, offset+length)} and, if {@code cache}, store the {@code extents} it covers (the bytes between
 * them are holes fetched only to save a request, and thrown away).
 *
 * @param id           the planner's id, quoted back in {@link Planner#onFetchCompleted}/{@link Planner#onFetchFailed}
 * @param extents      the extents the range covers, in offset order, all of {@code object}
 * @param cache        store the extents when they arrive; {@code false} for a demand read the planner does not
 *                     want to keep (the bytes go to the reader only)
 * @param evictFirst   extents to drop before writing (already accounted for: the planner never plans past capacity)
 * @param deadlineNanos when the first covered extent will be read, on the caller's clock; {@code demand} fetches
 *                     carry the time of the read that needs them
 * @param demand       a reader is waiting for it now: issue it ahead of every prefetch
 */
public record Fetch(long id, String object, long offset, long length, List<Extent> extents, boolean cache,
                    List<Extent> evictFirst, long deadlineNanos, boolean demand) {

    public Fetch {
        requireNonNull(object, "object is null");
        extents = List.copyOf(requireNonNull(extents, "extents is null"));
        evictFirst = List.copyOf(requireNonNull(evictFirst, "evictFirst is null"));
        if (extents.isEmpty()) {
            throw new IllegalArgumentException("a fetch covers at least one extent");
        }
        if (length <= 0 || offset < 0) {
            throw new IllegalArgumentException("bad range " + object + "@" + offset + "+" + length);
        }
        long previousEnd = offset;
        for (Extent e : extents) {
            if (!e.object().equals(object) || e.offset() < previousEnd || e.end() > offset + length) {
                throw new IllegalArgumentException("extent " + e + " is not inside " + object + "[" + offset + ".."
                        + (offset + length) + ") in offset order");
            }
            previousEnd = e.end();
        }
    }

    /** Bytes of the covered extents. */
    public long usefulBytes() {
        long sum = 0;
        for (Extent e : extents) {
            sum += e.length();
        }
        return sum;
    }

    /** Hole bytes fetched to save requests. */
    public long wasteBytes() {
        return length - usefulBytes();
    }
}
