package io.prefetchd.tracer;

import java.nio.file.Path;
import java.time.Duration;

import static java.util.Objects.requireNonNull;

/**
 * Settings of an {@link AccessTracer}. Start from {@link #defaults(Path)} and change what you need with the
 * {@code with...} methods.
 *
 * @param stateDir       the daemon's state folder; traces go to {@code <stateDir>/traces/<dataset>/<job>/}
 * @param bufferCapacity records the ring buffer between the read path and the writer holds (rounded up to a
 *                       power of two); when it is full, records are dropped and counted. Default 65,536 (about
 *                       0.6 s of reads at 100,000 reads/s, about 4.5 MB)
 * @param batchRows      rows per Arrow record batch: a batch is written when it has this many rows. Default 8,192
 * @param flushInterval  a batch is also written when its oldest row is this old, so a crash loses at most about
 *                       this much (see {@code docs/TRACES.md}). Default 1 s; at most 60 s
 * @param idleGap        an epoch without a read for this long ends (inferred epochs) or has its file closed
 *                       (hinted epochs). Default 60 s
 * @param retentionBytes the total size of all trace files to keep; past it the oldest closed files are deleted.
 *                       Default 10 GiB
 * @param fsync          force each written batch to the device (survives a machine crash, not only a process
 *                       crash). Default true
 * @param closeTimeout   how long {@link AccessTracer#close()} waits for the writer to finish. Default 30 s
 */
public record TracerConfig(Path stateDir, int bufferCapacity, int batchRows, Duration flushInterval,
                           Duration idleGap, long retentionBytes, boolean fsync, Duration closeTimeout) {

    public static final int DEFAULT_BUFFER_CAPACITY = 1 << 16;
    public static final int DEFAULT_BATCH_ROWS = 8192;
    public static final Duration DEFAULT_FLUSH_INTERVAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_IDLE_GAP = Duration.ofSeconds(60);
    public static final long DEFAULT_RETENTION_BYTES = 10L << 30;
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);
    static final int MAX_BUFFER_CAPACITY = 1 << 24;
    static final Duration MAX_FLUSH_INTERVAL = Duration.ofSeconds(60);

    public TracerConfig {
        requireNonNull(stateDir, "stateDir is null");
        requireNonNull(flushInterval, "flushInterval is null");
        requireNonNull(idleGap, "idleGap is null");
        requireNonNull(closeTimeout, "closeTimeout is null");
        if (bufferCapacity < 2 || bufferCapacity > MAX_BUFFER_CAPACITY) {
            throw new IllegalArgumentException("bufferCapacity must be in [2, " + MAX_BUFFER_CAPACITY + "]: "
                    + bufferCapacity);
        }
        if (batchRows < 1 || batchRows > 1 << 20) {
            throw new IllegalArgumentException("batchRows must be in [1, 1048576]: " + batchRows);
        }
        if (flushInterval.isNegative() || flushInterval.isZero() || flushInterval.compareTo(MAX_FLUSH_INTERVAL) > 0) {
            throw new IllegalArgumentException("flushInterval must be in (0, 60s]: " + flushInterval);
        }
        if (idleGap.isNegative() || idleGap.isZero()) {
            throw new IllegalArgumentException("idleGap must be positive: " + idleGap);
        }
        if (retentionBytes < 0) {
            throw new IllegalArgumentException("retentionBytes must not be negative: " + retentionBytes);
        }
        if (closeTimeout.isNegative()) {
            throw new IllegalArgumentException("closeTimeout must not be negative: " + closeTimeout);
        }
        bufferCapacity = Integer.highestOneBit(bufferCapacity - 1) << 1;
    }

    /** The defaults above, with traces under {@code stateDir}. */
    public static TracerConfig defaults(Path stateDir) {
        return new TracerConfig(stateDir, DEFAULT_BUFFER_CAPACITY, DEFAULT_BATCH_ROWS, DEFAULT_FLUSH_INTERVAL,
                DEFAULT_IDLE_GAP, DEFAULT_RETENTION_BYTES, true, DEFAULT_CLOSE_TIMEOUT);
    }

    /** {@code <stateDir>/traces}. */
    public Path tracesDir() {
        return stateDir.resolve("traces");
    }

    public TracerConfig withBufferCapacity(int v) {
        return new TracerConfig(stateDir, v, batchRows, flushInterval, idleGap, retentionBytes, fsync, closeTimeout);
    }

    public TracerConfig withBatchRows(int v) {
        return new TracerConfig(stateDir, bufferCapacity, v, flushInterval, idleGap, retentionBytes, fsync, closeTimeout);
    }

    public TracerConfig withFlushInterval(Duration v) {
        return new TracerConfig(stateDir, bufferCapacity, batchRows, v, idleGap, retentionBytes, fsync, closeTimeout);
    }

    public TracerConfig withIdleGap(Duration v) {
        return new TracerConfig(stateDir, bufferCapacity, batchRows, flushInterval, v, retentionBytes, fsync, closeTimeout);
    }

    public TracerConfig withRetentionBytes(long v) {
        return new TracerConfig(stateDir, bufferCapacity, batchRows, flushInterval, idleGap, v, fsync, closeTimeout);
    }

    public TracerConfig withFsync(boolean v) {
        return new TracerConfig(stateDir, bufferCapacity, batchRows, flushInterval, idleGap, retentionBytes, v, closeTimeout);
    }

    public TracerConfig withCloseTimeout(Duration v) {
        return new TracerConfig(stateDir, bufferCapacity, batchRows, flushInterval, idleGap, retentionBytes, fsync, v);
    }
}
