package io.prefetchd.planner;

/**
 * One completed GET as the executor saw it, on its clock (nanoseconds).
 *
 * @param bytes          bytes received
 * @param issuedNanos    when the request was sent
 * @param firstByteNanos when the first byte arrived
 * @param completedNanos when the last byte arrived
 */
public record FetchObservation(long bytes, long issuedNanos, long firstByteNanos, long completedNanos) {
    public FetchObservation {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes is negative: " + bytes);
        }
        if (firstByteNanos < issuedNanos || completedNanos < firstByteNanos) {
            throw new IllegalArgumentException("times out of order: issued " + issuedNanos + ", first byte "
                    + firstByteNanos + ", completed " + completedNanos);
        }
    }
}
