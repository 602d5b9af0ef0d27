package io.prefetchd.planner.report;

import static java.util.Objects.requireNonNull;

/**
 * What happened during one epoch of one job on one dataset, as the gateway's executor saw it: every sample read
 * (when, which, how many bytes, how long it waited on S3) and every S3 GET (when, how many bytes, demand or
 * prefetch, success). {@link Reports#build} turns it into an {@link EpochReport}.
 *
 * <h2>Memory</h2>
 * A read costs 20 bytes (start time and wait as {@code long}, sample as {@code int}) and a GET 25 bytes, kept in
 * fixed chunks of {@value #CHUNK} entries so that growing never copies: a 10-million-read epoch holds about
 * 200 MB, and at most one partly filled chunk of each kind is spare. The object name of a GET is checked but not
 * kept. Past {@code maxEvents} reads (or GETs) the log stops keeping individual entries but still counts them in
 * every total; the report then says {@code trace_truncated} and its percentiles, timeline and counterfactuals
 * cover the kept prefix only.
 *
 * <h2>Threads</h2>
 * Thread-safe: every method takes this object's monitor for a few array stores. Entries are only appended and
 * never changed, so a {@link Snapshot} (taken under the monitor) can be read afterwards without it.
 *
 * <h2>Times</h2>
 * Every time is the caller's monotonic nanoseconds ({@code System.nanoTime()} in the gateway, a manual clock in
 * tests), in the same clock as {@code startNanos}. The log reads no clock itself.
 */
public final class EpochLog {
    /** Entries per chunk. */
    static final int CHUNK = 1 << 16;
    /** Reads (and separately GETs) kept individually by default: about 320 MB of reads. */
    public static final int DEFAULT_MAX_EVENTS = 1 << 24;

    private final String datasetId;
    private final String job;
    private final int epoch;
    private final long startNanos;
    private final long capacityBytes;
    private final long datasetBytes;
    private final boolean hinted;
    private final int maxEvents;

    // reads, chunked: readAt[c][i] is read c * CHUNK + i
    private long[][] readAt = new long[0][];
    private int[][] readSample = new int[0][];
    private long[][] readWait = new long[0][];
    private int readsKept;
    // GETs, chunked
    private long[][] getStart = new long[0][];
    private long[][] getEnd = new long[0][];
    private long[][] getLength = new long[0][];
    private byte[][] getFlags = new byte[0][];
    private int getsKept;

    private long reads;
    private long readBytes;
    private long waitedReads;
    private long waitNanos;
    private long maxWaitNanos;
    private long gets;
    private long demandGets;
    private long failedGets;
    private long getBytes;
    private long demandGetBytes;
    private long usefulGetBytes;
    private long unusedBytes;
    private long plannedSamples = -1;
    private long plannedFetchBytes = -1;
    private int plans;
    private long lastEventNanos;
    private long endNanos = Long.MIN_VALUE;
    private EpochEnd how = EpochEnd.RUNNING;

    static final byte DEMAND = 1;
    static final byte OK = 2;

    public EpochLog(String datasetId, String job, int epoch, long startNanos, long capacityBytes, long datasetBytes,
                    boolean hinted) {
        this(datasetId, job, epoch, startNanos, capacityBytes, datasetBytes, hinted, DEFAULT_MAX_EVENTS);
    }

    /** As above, keeping at most {@code maxEvents} reads and {@code maxEvents} GETs individually. */
    public EpochLog(String datasetId, String job, int epoch, long startNanos, long capacityBytes, long datasetBytes,
                    boolean hinted, int maxEvents) {
        this.datasetId = requireNonNull(datasetId, "datasetId is null");
        this.job = requireNonNull(job, "job is null");
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch is negative: " + epoch);
        }
        if (capacityBytes < 0 || datasetBytes < 0) {
            throw new IllegalArgumentException("capacity and dataset bytes must not be negative: " + capacityBytes
                    + ", " + datasetBytes);
        }
        if (maxEvents < 0) {
            throw new IllegalArgumentException("maxEvents is negative: " + maxEvents);
        }
        this.epoch = epoch;
        this.startNanos = startNanos;
        this.capacityBytes = capacityBytes;
        this.datasetBytes = datasetBytes;
        this.hinted = hinted;
        this.maxEvents = maxEvents;
        this.lastEventNanos = startNanos;
    }

    /**
     * One sample read by the job.
     *
     * @param atNanos   when the read was asked for
     * @param sample    the sample id (as in the dataset's {@code SampleExtents})
     * @param bytes     bytes of the sample read
     * @param waitNanos how long the read waited on S3; 0 = served without waiting
     */
    public synchronized void read(long atNanos, int sample, long bytes, long waitNanos) {
        if (sample < 0 || bytes < 0 || waitNanos < 0) {
            throw new IllegalArgumentException("read of sample " + sample + ": negative sample, bytes or wait ("
                    + bytes + ", " + waitNanos + ")");
        }
        reads++;
        readBytes += bytes;
        if (waitNanos > 0) {
            waitedReads++;
            waitNanos(waitNanos);
        }
        lastEventNanos = Math.max(lastEventNanos, atNanos + waitNanos);
        if (readsKept >= maxEvents) {
            return;
        }
        int c = readsKept / CHUNK;
        int i = readsKept % CHUNK;
        if (c == readAt.length) {
            readAt = grow(readAt, new long[CHUNK]);
            readSample = grow(readSample, new int[CHUNK]);
            readWait = grow(readWait, new long[CHUNK]);
        }
        readAt[c][i] = atNanos;
        readSample[c][i] = sample;
        readWait[c][i] = waitNanos;
        readsKept++;
    }

    private void waitNanos(long w) {
        this.waitNanos += w;
        maxWaitNanos = Math.max(maxWaitNanos, w);
    }

    /**
     * One S3 GET, reported when it ended.
     *
     * @param object      the object (key, ideally with ETag); checked, not kept
     * @param length      bytes requested (the GET's range)
     * @param usefulBytes of those, bytes that belong to samples (the rest are holes fetched to coalesce GETs)
     * @param demand      a reader was waiting for it
     * @param ok          it returned its bytes (false: failed or cancelled)
     */
    public synchronized void fetch(long startNanos, long endNanos, String object, long offset, long length,
                                   long usefulBytes, boolean demand, boolean ok) {
        requireNonNull(object, "object is null");
        if (offset < 0 || length < 0 || usefulBytes < 0 || usefulBytes > length || endNanos < startNanos) {
            throw new IllegalArgumentException("GET of " + object + "@" + offset + "+" + length + " (useful "
                    + usefulBytes + ", " + startNanos + ".." + endNanos + ") is inconsistent");
        }
        gets++;
        getBytes += length;
        if (demand) {
            demandGets++;
            demandGetBytes += length;
        }
        if (ok) {
            usefulGetBytes += usefulBytes;
        } else {
            failedGets++;
        }
        lastEventNanos = Math.max(lastEventNanos, endNanos);
        if (getsKept >= maxEvents) {
            return;
        }
        int c = getsKept / CHUNK;
        int i = getsKept % CHUNK;
        if (c == getStart.length) {
            getStart = grow(getStart, new long[CHUNK]);
            getEnd = grow(getEnd, new long[CHUNK]);
            getLength = grow(getLength, new long[CHUNK]);
            getFlags = grow(getFlags, new byte[CHUNK]);
        }
        getStart[c][i] = startNanos;
        getEnd[c][i] = endNanos;
        getLength[c][i] = length;
        getFlags[c][i] = (byte) ((demand ? DEMAND : 0) | (ok ? OK : 0));
        getsKept++;
    }

    /** Prefetched bytes evicted, or left in the cache at the epoch's end, without having been read. */
    public synchronized void prefetchedUnused(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes is negative: " + bytes);
        }
        unusedBytes += bytes;
    }

    /**
     * What the planner expected for this epoch: samples in the hinted order and the bytes it planned to fetch. A
     * later call (a re-plan) replaces the earlier figures.
     */
    public synchronized void planned(int samples, long fetchBytes) {
        if (samples < 0 || fetchBytes < 0) {
            throw new IllegalArgumentException("planned samples and bytes must not be negative: " + samples + ", "
                    + fetchBytes);
        }
        plannedSamples = samples;
        plannedFetchBytes = fetchBytes;
        plans++;
    }

    /** The next epoch started: {@code end(endNanos, EpochEnd.NEXT_EPOCH)}. */
    public void end(long endNanos) {
        end(endNanos, EpochEnd.NEXT_EPOCH);
    }

    /**
     * The epoch ended at {@code endNanos}, as {@code how} says; later calls to {@code end} are ignored (the first
     * one wins).
     *
     * @throws IllegalArgumentException if {@code how} is {@link EpochEnd#RUNNING}
     */
    public synchronized void end(long endNanos, EpochEnd how) {
        requireNonNull(how, "how is null");
        if (how == EpochEnd.RUNNING) {
            throw new IllegalArgumentException("an epoch cannot end as running");
        }
        if (this.endNanos == Long.MIN_VALUE) {
            this.endNanos = Math.max(endNanos, startNanos);
            this.how = how;
        }
    }

    /** Ends the epoch at its latest event (a read's start plus its wait, or a GET's end), unless it has ended. */
    public synchronized void endAtLatestEvent(EpochEnd how) {
        end(lastEventNanos, how);
    }

    /** When the latest event happened (a read's start plus its wait, or a GET's end; the start before any). */
    public synchronized long lastEventNanos() {
        return lastEventNanos;
    }

    public synchronized boolean ended() {
        return endNanos != Long.MIN_VALUE;
    }

    /** What ended the epoch; {@link EpochEnd#RUNNING} until it ends. */
    public synchronized EpochEnd endedBy() {
        return how;
    }

    public String datasetId() {
        return datasetId;
    }

    public String job() {
        return job;
    }

    public int epoch() {
        return epoch;
    }

    public long startNanos() {
        return startNanos;
    }

    public long capacityBytes() {
        return capacityBytes;
    }

    public long datasetBytes() {
        return datasetBytes;
    }

    public boolean hinted() {
        return hinted;
    }

    /** Reads so far (all of them, kept or not). */
    public synchronized long reads() {
        return reads;
    }

    /** Bytes held by the kept entries' arrays (allocated chunks), for the memory bound. */
    public synchronized long retainedBytes() {
        return (long) readAt.length * CHUNK * (8 + 4 + 8) + (long) getStart.length * CHUNK * (8 + 8 + 8 + 1);
    }

    private static <T> T[] grow(T[] chunks, T fresh) {
        T[] a = java.util.Arrays.copyOf(chunks, chunks.length + 1);
        a[chunks.length] = fresh;
        return a;
    }

    /** A consistent view of the log at one moment; its arrays are shared, only the prefixes below the counts used. */
    record Snapshot(String datasetId, String job, int epoch, long startNanos, long endNanos, EpochEnd how,
                    long capacityBytes, long datasetBytes, boolean hinted,
                    long reads, long readBytes, long waitedReads, long waitNanos, long maxWaitNanos,
                    long gets, long demandGets, long failedGets, long getBytes, long demandGetBytes,
                    long usefulBytes, long unusedBytes, long plannedSamples, long plannedFetchBytes, int plans,
                    int readsKept, long[][] readAt, int[][] readSample, long[][] readWait,
                    int getsKept, long[][] getStart, long[][] getEnd, long[][] getLength, byte[][] getFlags) {

        boolean ended() {
            return how != EpochEnd.RUNNING;
        }

        boolean truncated() {
            return readsKept < reads || getsKept < gets;
        }

        long readAt(int k) {
            return readAt[k / CHUNK][k % CHUNK];
        }

        int readSample(int k) {
            return readSample[k / CHUNK][k % CHUNK];
        }

        long readWait(int k) {
            return readWait[k / CHUNK][k % CHUNK];
        }

        long getStart(int k) {
            return getStart[k / CHUNK][k % CHUNK];
        }

        long getEnd(int k) {
            return getEnd[k / CHUNK][k % CHUNK];
        }

        long getLength(int k) {
            return getLength[k / CHUNK][k % CHUNK];
        }

        byte getFlags(int k) {
            return getFlags[k / CHUNK][k % CHUNK];
        }
    }

    /**
     * The log as it is now. An epoch still running is seen as ending at its latest event (a read's start plus its
     * wait, or a GET's end), so that a partial report covers what happened so far.
     */
    synchronized Snapshot snapshot() {
        boolean ended = ended();
        long end = ended ? endNanos : lastEventNanos;
        return new Snapshot(datasetId, job, epoch, startNanos, end, how, capacityBytes, datasetBytes, hinted,
                reads, readBytes, waitedReads, waitNanos, maxWaitNanos, gets, demandGets, failedGets, getBytes,
                demandGetBytes, usefulGetBytes, unusedBytes, plannedSamples, plannedFetchBytes, plans,
                readsKept, readAt, readSample, readWait, getsKept, getStart, getEnd, getLength, getFlags);
    }

    @Override
    public String toString() {
        return "EpochLog[" + datasetId + "/" + job + " epoch " + epoch + "]";
    }
}
