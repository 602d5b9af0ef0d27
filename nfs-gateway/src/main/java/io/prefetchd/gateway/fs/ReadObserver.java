package io.prefetchd.gateway.fs;

import static java.util.Objects.requireNonNull;

/**
 * Told of every read the gateway served, whichever protocol asked: an NFS READ or a ranged part of an S3 GET (the
 * access tracer and the prefetch executor listen here). Called on the serving thread after the bytes are known:
 * implementations must not block.
 */
@FunctionalInterface
public interface ReadObserver {
    ReadObserver NONE = (reader, file, version, offset, result) -> {
    };

    /**
     * Who read: {@code clientId} is the NFS client id of the reader's session (0 when there is none, as for the S3
     * endpoint), {@code address} names where it read from ("host:port", or "s3-api" for the S3 endpoint).
     */
    record Reader(long clientId, String address) {
        public Reader {
            requireNonNull(address, "address is null");
        }
    }

    void onRead(Reader reader, Inode file, FileAttributes version, long offset, ReadResult result);

    /**
     * A read is about to be served (the prefetch executor listens here, so that it can fetch the rest of the
     * sample while this read's own blocks come in). Must not block.
     */
    default void beforeRead(Reader reader, Inode file, FileAttributes version, long offset, int count) {
    }

    /** The read announced by {@link #beforeRead} failed (no {@link #onRead} follows). Must not block. */
    default void onReadFailed(Reader reader, Inode file, FileAttributes version, long offset) {
    }

    /** Both observers, {@code first} before {@code second}. */
    static ReadObserver both(ReadObserver first, ReadObserver second) {
        if (first == NONE) {
            return second;
        }
        if (second == NONE) {
            return first;
        }
        return new ReadObserver() {
            @Override
            public void onRead(Reader reader, Inode file, FileAttributes version, long offset, ReadResult result) {
                first.onRead(reader, file, version, offset, result);
                second.onRead(reader, file, version, offset, result);
            }

            @Override
            public void beforeRead(Reader reader, Inode file, FileAttributes version, long offset, int count) {
                first.beforeRead(reader, file, version, offset, count);
                second.beforeRead(reader, file, version, offset, count);
            }

            @Override
            public void onReadFailed(Reader reader, Inode file, FileAttributes version, long offset) {
                first.onReadFailed(reader, file, version, offset);
                second.onReadFailed(reader, file, version, offset);
            }
        };
    }
}
