package io.prefetchd.gateway.fs.staging;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * Buffers of one part's size for the parts a streamed upload sends while their file is written, used again from
 * part to part. Off the heap: a part stays in flight as long as its upload takes, so a fresh heap array per part
 * outlives young collections, which must then copy it (tens of MiB per collection while a large file is written);
 * a buffer that lives on is neither copied nor collected. Aligned, so that a part is read from its staged file
 * around the page cache.
 *
 * <p>At most {@code retained} buffers are kept between uses; the caller bounds how many are taken at once (the parts
 * in flight). Thread-safe.
 */
final class PartBuffers {
    private final int size;
    private final int retained;
    private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();

    /**
     * @param size bytes per buffer (one part)
     * @param retained buffers kept for the next parts once returned; more are dropped
     */
    PartBuffers(int size, int retained) {
        if (size < 1 || retained < 0) {
            throw new IllegalArgumentException("size and retained out of range: " + size + ", " + retained);
        }
        this.size = size;
        this.retained = retained;
    }

    /** A buffer of {@code size} bytes, cleared; its contents are what the last user left. */
    synchronized ByteBuffer take() {
        ByteBuffer b = free.poll();
        return b != null ? b.clear() : StagedBytes.alignedBuffer(size, StagedBytes.ALIGNMENT);
    }

    /** Gives {@code b} back: no reference to it may be used after this. */
    synchronized void give(ByteBuffer b) {
        if (b.capacity() == size && free.size() < retained) {
            free.push(b);
        }
    }

    /** Buffers kept for the next parts, for tests. */
    synchronized int kept() {
        return free.size();
    }
}
