package io.prefetchd.tracer;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Events from the tracer's writer thread, for metrics and for the planner (a closed epoch file is ready to learn
 * from). Methods run on the writer thread: they must return quickly and must not call back into the tracer's
 * {@link AccessTracer#flush()} or {@link AccessTracer#close()}. A listener that blocks stalls the writer, and the
 * read path then drops records. Exceptions thrown by a listener are logged and ignored.
 */
public interface TracerListener {
    /** A listener that ignores everything. */
    TracerListener NONE = new TracerListener() {
    };

    /**
     * Records were dropped since the last call (reported at most once per writer pass, not once per record).
     *
     * @param newlyDropped dropped since the previous call
     * @param totalDropped dropped since the tracer started
     */
    default void onDropped(long newlyDropped, long totalDropped) {
    }

    /** An epoch file was finished (with its footer unless {@code reason} is {@link CloseReason#WRITE_ERROR}). */
    default void onFileClosed(TraceFile file, CloseReason reason) {
    }

    /** Writing {@code file} failed; the records it held are counted in {@link TracerStats#failed()}. */
    default void onWriteError(Path file, IOException error) {
    }
}
