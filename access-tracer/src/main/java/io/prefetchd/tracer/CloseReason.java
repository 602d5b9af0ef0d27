package io.prefetchd.tracer;

/** Why the tracer finished an epoch file. */
public enum CloseReason {
    /** Inferred epoch: the bytes read reached the dataset's size. */
    COVERAGE,
    /** No read for the idle gap: an inferred epoch ended; a hinted epoch keeps going in a new part file. */
    IDLE,
    /** {@link AccessTracer#endEpoch} for the stream. */
    END_HINT,
    /** {@link AccessTracer#beginEpoch} with another epoch number for the stream. */
    BEGIN_HINT,
    /** {@link AccessTracer#close()}. */
    SHUTDOWN,
    /** A write failed; the file keeps what was written before (readable as a truncated file). */
    WRITE_ERROR
}
