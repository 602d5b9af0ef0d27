package io.prefetchd.gateway.nfs.v4;

import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.ReadResult;

/**
 * Told of every READ the server answered (the access tracer and the prefetch executor listen here). Called on the NFS worker thread
 * after the bytes are known: implementations must not block.
 */
@FunctionalInterface
public interface ReadObserver {
    ReadObserver NONE = (ctx, file, version, offset, result) -> {
    };

    void onRead(CompoundContext ctx, Inode file, FileAttributes version, long offset, ReadResult result);

    /**
     * A READ is about to be served (the prefetch executor listens here, so that it can fetch the rest of the
     * sample while this READ's own blocks come in). Called on the NFS worker thread: must not block.
     */
    default void beforeRead(CompoundContext ctx, Inode file, FileAttributes version, long offset, int count) {
    }

    /** The READ announced by {@link #beforeRead} failed (no {@link #onRead} follows). Must not block. */
    default void onReadFailed(CompoundContext ctx, Inode file, FileAttributes version, long offset) {
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
            public void onRead(CompoundContext ctx, Inode file, FileAttributes version, long offset,
                               ReadResult result) {
                first.onRead(ctx, file, version, offset, result);
                second.onRead(ctx, file, version, offset, result);
            }

            @Override
            public void beforeRead(CompoundContext ctx, Inode file, FileAttributes version, long offset,
                                   int count) {
                first.beforeRead(ctx, file, version, offset, count);
                second.beforeRead(ctx, file, version, offset, count);
            }

            @Override
            public void onReadFailed(CompoundContext ctx, Inode file, FileAttributes version, long offset) {
                first.onReadFailed(ctx, file, version, offset);
                second.onReadFailed(ctx, file, version, offset);
            }
        };
    }
}
