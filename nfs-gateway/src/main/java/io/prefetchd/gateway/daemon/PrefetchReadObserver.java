package io.prefetchd.gateway.daemon;

import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.ReadResult;
import io.prefetchd.gateway.fs.S3FileSystem;
import io.prefetchd.gateway.fs.ReadObserver;
import io.prefetchd.gateway.prefetch.PrefetchExecutor;

import static java.util.Objects.requireNonNull;

/** Hands every read (NFS READ or S3 GET) to the prefetch executor: before it is served (to plan) and after (to count waits). */
final class PrefetchReadObserver implements ReadObserver {
    private final PrefetchExecutor executor;
    private final S3FileSystem fs;

    PrefetchReadObserver(PrefetchExecutor executor, S3FileSystem fs) {
        this.executor = requireNonNull(executor, "executor is null");
        this.fs = requireNonNull(fs, "fs is null");
    }

    @Override
    public void beforeRead(Reader reader, Inode file, FileAttributes version, long offset, int count) {
        if (offset < version.size()) {
            executor.beforeRead(fs.key(file.path()), version.fileEtag(), offset);
        }
    }

    @Override
    public void onRead(Reader reader, Inode file, FileAttributes version, long offset, ReadResult result) {
        if (offset < version.size()) {
            executor.afterRead(fs.key(file.path()), version.fileEtag(), offset, result.data().length,
                    result.waitedOnS3() ? Math.max(1, result.waitNanos()) : 0);
        }
    }

    @Override
    public void onReadFailed(Reader reader, Inode file, FileAttributes version, long offset) {
        if (offset < version.size()) {
            executor.afterRead(fs.key(file.path()), version.fileEtag(), offset, 0, 1);
        }
    }
}
