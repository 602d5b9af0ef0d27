package io.prefetchd.gateway.daemon;

import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.ReadResult;
import io.prefetchd.gateway.fs.S3FileSystem;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.ReadObserver;
import io.prefetchd.tracer.AccessTracer;
import io.prefetchd.tracer.Outcome;

import static java.util.Objects.requireNonNull;

/**
 * Hands every READ to the access tracer. Until the hint API names datasets and jobs, the dataset of a file is
 * the first folder of its path in the export (files at the root belong to {@value #ROOT_DATASET}) and the job is
 * {@value #DEFAULT_JOB}; epochs are then inferred by the tracer's idle-gap rule (docs/TRACES.md). Zero-length
 * reads (at end of file) are not recorded. Never blocks: the tracer drops and counts when its buffer is full.
 */
final class TracingReadObserver implements ReadObserver {
    static final String ROOT_DATASET = "_root";
    static final String DEFAULT_JOB = "default";

    private final AccessTracer tracer;
    private final S3FileSystem fs;

    TracingReadObserver(AccessTracer tracer, S3FileSystem fs) {
        this.tracer = requireNonNull(tracer, "tracer is null");
        this.fs = requireNonNull(fs, "fs is null");
    }

    static String datasetOf(String path) {
        int slash = path.indexOf('/');
        return slash < 0 ? ROOT_DATASET : path.substring(0, slash);
    }

    @Override
    public void onRead(CompoundContext ctx, Inode file, FileAttributes version, long offset, ReadResult result) {
        int length = result.data().length;
        if (length == 0) {
            return;
        }
        long clientId = ctx.sessionClient() == null ? 0 : ctx.sessionClient().clientId();
        tracer.record(datasetOf(file.path()), DEFAULT_JOB, clientId, ctx.caller().remote(), fs.key(file.path()),
                version.etag(), version.fileId(), offset, length,
                result.waitedOnS3() ? Outcome.S3_WAIT : Outcome.CACHE_HIT, result.waitNanos());
    }
}
