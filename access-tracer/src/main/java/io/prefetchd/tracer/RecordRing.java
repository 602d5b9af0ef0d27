package io.prefetchd.tracer;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The bounded multi-producer, single-consumer queue between the read path and the writer thread.
 *
 * <h2>Design</h2>
 * The read path must never block and should not allocate, so a record is not an object: the ring keeps its fields
 * in parallel arrays (struct of arrays), preallocated at start. References to strings the caller already holds
 * (key, ETag, names) are stored as they are, so a record costs some array stores and one CAS.
 *
 * <p>The protocol is the classic bounded-queue one with a sequence number per slot. Slot {@code i} starts with
 * sequence {@code i}. A producer reads the tail {@code t}; if slot {@code t & mask} has sequence {@code t} it is
 * free: the producer claims it by CAS on the tail, writes the fields with plain stores, and publishes by storing
 * sequence {@code t + 1} with release semantics. If the slot's sequence is lower, the consumer has not freed it
 * yet: the ring is full and the producer gives up at once ({@link #dropped} counts it) instead of waiting. The
 * single consumer reads slot {@code head & mask} when its sequence is {@code head + 1} (acquire, so the plain
 * field stores are visible), copies the fields out, clears the references, and frees it by storing
 * {@code head + capacity} (release). A producer that claimed a slot but has not yet published it holds the
 * consumer back for those few stores; nothing else waits.
 *
 * <p>{@link #claimed()} (the tail) is a position in the stream of accepted records: control events (hints,
 * flushes) are stamped with it so the writer applies them between exactly the records that came before and after.
 *
 * <p>Thread-safety: {@link #offer} from any thread; {@link #peek}, {@link #release} and the field arrays from the
 * consumer thread only (between {@code peek} and {@code release}); counters from any thread.
 */
final class RecordRing {
    final int capacity;
    private final int mask;
    private final AtomicLongArray sequence;
    private final AtomicLong tail = new AtomicLong();
    private volatile long head;
    private final LongAdder dropped = new LongAdder();

    final long[] time;
    final long[] clientId;
    final long[] fileId;
    final long[] offset;
    final long[] waitNanos;
    final long[] sample;
    final int[] length;
    final int[] rank;
    final Outcome[] outcome;
    final String[] dataset;
    final String[] job;
    final String[] clientAddress;
    final String[] key;
    final String[] etag;

    RecordRing(int capacity) {
        if (Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity must be a power of two: " + capacity);
        }
        this.capacity = capacity;
        this.mask = capacity - 1;
        this.sequence = new AtomicLongArray(capacity);
        for (int i = 0; i < capacity; i++) {
            sequence.set(i, i);
        }
        time = new long[capacity];
        clientId = new long[capacity];
        fileId = new long[capacity];
        offset = new long[capacity];
        waitNanos = new long[capacity];
        sample = new long[capacity];
        length = new int[capacity];
        rank = new int[capacity];
        outcome = new Outcome[capacity];
        dataset = new String[capacity];
        job = new String[capacity];
        clientAddress = new String[capacity];
        key = new String[capacity];
        etag = new String[capacity];
    }

    /** Adds a record, or counts it as dropped and returns false if the ring is full. Lock-free, never waits. */
    boolean offer(long timeNanos, String datasetName, String jobName, int jobRank, long client, String address,
                  String objectKey, String objectEtag, long file, long sampleIndex, long off, int len, Outcome how,
                  long wait) {
        long t = tail.get();
        int i;
        while (true) {
            i = (int) (t & mask);
            long diff = sequence.getAcquire(i) - t;
            if (diff == 0) {
                if (tail.weakCompareAndSetVolatile(t, t + 1)) {
                    break;
                }
                t = tail.get();
            } else if (diff < 0) {
                dropped.increment();
                return false;
            } else {
                t = tail.get();
            }
        }
        time[i] = timeNanos;
        clientId[i] = client;
        fileId[i] = file;
        offset[i] = off;
        waitNanos[i] = wait;
        sample[i] = sampleIndex;
        length[i] = len;
        rank[i] = jobRank;
        outcome[i] = how;
        dataset[i] = datasetName;
        job[i] = jobName;
        clientAddress[i] = address;
        key[i] = objectKey;
        etag[i] = objectEtag;
        sequence.setRelease(i, t + 1);
        return true;
    }

    /** Consumer: the slot index of the next record if it is published, else -1. */
    int peek() {
        long h = head;
        int i = (int) (h & mask);
        return sequence.getAcquire(i) == h + 1 ? i : -1;
    }

    /** Consumer: frees the slot returned by {@link #peek()}. */
    void release(int i) {
        long h = head;
        dataset[i] = null;
        job[i] = null;
        clientAddress[i] = null;
        key[i] = null;
        etag[i] = null;
        outcome[i] = null;
        sequence.setRelease(i, h + capacity);
        head = h + 1;
    }

    /** Position of the next record to consume (records consumed so far). */
    long head() {
        return head;
    }

    /** Records claimed so far (the position the next accepted record will get). */
    long claimed() {
        return tail.get();
    }

    void countDropped() {
        dropped.increment();
    }

    long dropped() {
        return dropped.sum();
    }

    /** Records in the ring now (claimed, not yet consumed). */
    long size() {
        return Math.max(0, tail.get() - head);
    }
}
