package io.prefetchd.tracer;

/**
 * Counters of an {@link AccessTracer} since it started; a snapshot, each field read separately (they need not add
 * up exactly while records are in flight). After {@link AccessTracer#close()}:
 * {@code accepted == written + failed}.
 *
 * @param accepted       records taken into the ring buffer
 * @param dropped        records refused because the ring buffer was full (or the tracer closed): publish as
 *                       {@code prefetchd_tracer_dropped_total}
 * @param written        records written to trace files (in a batch handed to the OS)
 * @param failed         accepted records lost to a write error (disk full, permissions)
 * @param pending        records in the ring buffer now
 * @param capacity       the ring buffer's capacity
 * @param openFiles      epoch files open for writing now
 * @param filesClosed    epoch files finished with a footer
 * @param filesDeleted   epoch files deleted by retention
 * @param bytesWritten   bytes written to trace files (including Arrow framing, schema and footers)
 */
public record TracerStats(long accepted, long dropped, long written, long failed, long pending, int capacity,
                          int openFiles, long filesClosed, long filesDeleted, long bytesWritten) {
}
