package io.prefetchd.gateway.fs;

import static java.util.Objects.requireNonNull;

/** Bytes of a read and how they were served: whether the reader waited on S3, and for how long. */
public record ReadResult(byte[] data, boolean waitedOnS3, long waitNanos) {
    public static final ReadResult EMPTY = new ReadResult(new byte[0], false, 0);

    public ReadResult {
        requireNonNull(data, "data is null");
    }
}
