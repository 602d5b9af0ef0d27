package io.prefetchd.planner;

/**
 * Sequential streams inside objects, for planning without hints: a WebDataset reader streaming a shard, a Parquet
 * reader walking row groups, several ranks each streaming their own shards at once.
 *
 * <p>A stream is an object plus the last extent read in it. A read continues a stream when it lands at or after the
 * stream's end within {@code maxSkipBytes} (so projections that skip columns still count); after two sequential
 * reads the stream is active and gets a read-ahead window that doubles each time the reader has consumed half of
 * it, up to a cap (mountpoint-s3's prefetcher grows the same way). Unlike a prefetcher that sees one file at a
 * time, we see every stream of the job, so the starting window is learned from how long earlier streams ran
 * ({@link #startingReadAhead}). What read-ahead actually fetches is bounded by the planner's window budget, so all
 * streams together stay inside the cache's window. Slots are few (the number of concurrent readers) and replaced
 * least recently used first.
 *
 * <p>Not thread-safe; owned by one engine.
 */
final class StreamTable {

    static final class Stream {
        int object = -1;
        /** Last extent read. */
        int last = -1;
        /** Next extent to consider for read-ahead (in the object's offset chain), or -1 at the end. */
        int frontier = -1;
        /** First extent read in this stream. */
        int start = -1;
        int run;
        long readAhead;
        long consumedSinceGrowth;
        long lastNanos;
        double bytesPerSecond;
        long lastUsed;

        boolean active() {
            return run >= 2;
        }
    }

    private final ExtentTable table;
    private final Stream[] slots;
    private final long initialReadAhead;
    private final long maxSkipBytes;
    private long maxReadAhead;
    private long clock;
    private double typicalLength;
    private long streamsSeen;

    StreamTable(ExtentTable table, int slots, long initialReadAhead, long maxReadAhead, long maxSkipBytes) {
        this.table = table;
        this.slots = new Stream[slots];
        for (int i = 0; i < slots; i++) {
            this.slots[i] = new Stream();
        }
        this.initialReadAhead = initialReadAhead;
        this.maxReadAhead = Math.max(initialReadAhead, maxReadAhead);
        this.maxSkipBytes = maxSkipBytes;
    }

    void setMaxReadAhead(long bytes) {
        maxReadAhead = Math.max(initialReadAhead, bytes);
        for (Stream s : slots) {
            s.readAhead = Math.min(s.readAhead, maxReadAhead);
        }
    }

    Stream[] slots() {
        return slots;
    }

    /**
     * Records a read of extent {@code e}.
     *
     * @param evicted receives a stream that was replaced (its read-ahead must be released), or is left alone
     * @return the stream the read belongs to
     */
    Stream observe(int e, long nowNanos, Stream[] evicted) {
        clock++;
        int object = table.objectOf(e);
        Stream best = null;
        for (Stream s : slots) {
            if (s.object != object || s.last < 0) {
                continue;
            }
            long lastEnd = table.end(s.last);
            if (s.last == e || (table.offset(e) >= lastEnd && table.offset(e) - lastEnd <= maxSkipBytes)) {
                best = s;
                break;
            }
        }
        if (best == null) {
            Stream victim = slots[0];
            for (Stream s : slots) {
                if (s.lastUsed < victim.lastUsed) {
                    victim = s;
                }
            }
            if (victim.object >= 0) {
                Stream old = new Stream();
                old.object = victim.object;
                old.last = victim.last;
                old.frontier = victim.frontier;
                evicted[0] = old;
            }
            if (victim.object >= 0) {
                learnLength(victim);
            }
            victim.object = object;
            victim.last = e;
            victim.start = e;
            victim.frontier = table.next(e);
            victim.run = 1;
            victim.readAhead = startingReadAhead();
            victim.consumedSinceGrowth = 0;
            victim.lastNanos = nowNanos;
            victim.bytesPerSecond = 0;
            victim.lastUsed = clock;
            return victim;
        }
        if (best.last != e) {
            long bytes = table.end(e) - table.end(best.last);
            long dt = nowNanos - best.lastNanos;
            if (dt > 0) {
                double rate = bytes * 1e9 / dt;
                best.bytesPerSecond = best.bytesPerSecond == 0 ? rate : 0.75 * best.bytesPerSecond + 0.25 * rate;
            }
            best.lastNanos = nowNanos;
            best.run++;
            best.consumedSinceGrowth += table.length(e);
            if (best.active() && best.consumedSinceGrowth * 2 >= best.readAhead && best.readAhead < maxReadAhead) {
                best.readAhead = Math.min(maxReadAhead, best.readAhead * 2);
                best.consumedSinceGrowth = 0;
            }
            best.last = e;
            if (table.next(e) < 0) {
                learnLength(best);
                best.start = -1; // counted once
            }
            if (best.frontier < 0 || table.offset(best.frontier) <= table.offset(e)) {
                best.frontier = table.next(e);
            }
        }
        best.lastUsed = clock;
        return best;
    }

    /**
     * Streams over whole shards need their full read-ahead from the start (40 ms at 200 MB/s is 8 MB), and growing
     * from 256 KiB would take most of a shard. So the starting window is learned: half the typical length of the
     * streams seen so far (random reads make one-read streams and keep it small), between the initial and the cap.
     */
    private long startingReadAhead() {
        return Math.max(initialReadAhead, Math.min(maxReadAhead, (long) (typicalLength / 2)));
    }

    private void learnLength(Stream s) {
        if (s.start < 0 || s.last < 0) {
            return;
        }
        long length = table.end(s.last) - table.offset(s.start);
        typicalLength = streamsSeen == 0 ? length : 0.8 * typicalLength + 0.2 * length;
        streamsSeen++;
    }

    /** Re-scans every stream's read-ahead from its reader position (after a failed fetch or an eviction). */
    void rewind() {
        for (Stream s : slots) {
            if (s.last >= 0) {
                s.frontier = table.next(s.last);
            }
        }
    }
}
