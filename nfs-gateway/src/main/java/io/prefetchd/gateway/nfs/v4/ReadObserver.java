package io.prefetchd.gateway.nfs.v4;

import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.ReadResult;

/**
 * Told of every READ the server answered (the access tracer listens here). Called on the NFS worker thread
 * after the bytes are known: implementations must not block.
 */
@FunctionalInterface
public interface ReadObserver {
    ReadObserver NONE = (ctx, file, version, offset, result) -> {
    };

    void onRead(CompoundContext ctx, Inode file, FileAttributes version, long offset, ReadResult result);
}
