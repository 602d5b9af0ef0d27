package io.prefetchd.gateway.daemon;

import io.prefetchd.gateway.datasets.DatasetLookup;
import io.prefetchd.gateway.datasets.ServedDataset;
import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.ReadResult;
import io.prefetchd.gateway.fs.S3FileSystem;
import io.prefetchd.gateway.hints.EpochsInForce;
import io.prefetchd.gateway.hints.HintService;
import io.prefetchd.gateway.fs.ReadObserver;
import io.prefetchd.tracer.AccessTracer;
import io.prefetchd.tracer.Outcome;
import io.prefetchd.tracer.ReadRecord;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Hands every read (an NFS READ, or a part of an S3 GET) to the access tracer, named by its dataset and job (docs/TRACES.md):
 * <ul>
 * <li>a READ of a registered dataset's object is traced under the dataset's path in the export
 *     ({@link HintService#tracerDataset}), and under the job whose hinted epoch is in force on that dataset
 *     ({@link EpochsInForce}); the tracer's stream for that job is in the hinted epoch, so the read lands there.
 *     With no epoch in force, the job is {@value #DEFAULT_JOB} and the tracer infers epochs;</li>
 * <li>any other READ is traced under the first folder of the file's path ({@value #ROOT_DATASET} for files at
 *     the export root) and job {@value #DEFAULT_JOB}.</li>
 * </ul>
 * A READ of a served dataset also carries the sample holding its first byte, by the dataset's index, and the rank of
 * the job in force when the job has one rank ({@link EpochsInForce}); other reads carry -1 for both.
 * Zero-length reads (at end of file) are not recorded. Never blocks: the tracer drops and counts when its buffer is
 * full.
 */
final class TracingReadObserver implements ReadObserver {
    static final String ROOT_DATASET = "_root";
    static final String DEFAULT_JOB = "default";

    private final AccessTracer tracer;
    private final S3FileSystem fs;
    private final DatasetLookup datasets;
    private final EpochsInForce inForce;

    TracingReadObserver(AccessTracer tracer, S3FileSystem fs, DatasetLookup datasets, EpochsInForce inForce) {
        this.tracer = requireNonNull(tracer, "tracer is null");
        this.fs = requireNonNull(fs, "fs is null");
        this.datasets = requireNonNull(datasets, "datasets is null");
        this.inForce = requireNonNull(inForce, "inForce is null");
    }

    static String datasetOf(String path) {
        int slash = path.indexOf('/');
        return slash < 0 ? ROOT_DATASET : path.substring(0, slash);
    }

    @Override
    public void onRead(Reader reader, Inode file, FileAttributes version, long offset, ReadResult result) {
        int length = result.data().length;
        if (length == 0) {
            return;
        }
        String key = fs.key(file.path());
        String dataset;
        String job;
        int rank = ReadRecord.UNKNOWN;
        long sample = ReadRecord.UNKNOWN;
        Optional<DatasetLookup.Hit> served = datasets.find(key);
        if (served.isPresent()) {
            ServedDataset d = served.get().dataset();
            dataset = HintService.tracerDataset(d);
            EpochsInForce.InForce hinted = inForce.of(d.id());
            job = hinted != null ? hinted.job() : DEFAULT_JOB;
            rank = hinted != null ? hinted.rank() : ReadRecord.UNKNOWN;
            sample = served.get().sampleAt(key, version.fileEtag(), offset);
        } else {
            dataset = datasetOf(file.path());
            job = DEFAULT_JOB;
        }
        tracer.record(dataset, job, rank, reader.clientId(), reader.address(), key, version.fileEtag(),
                version.fileId(),
                sample, offset, length, result.waitedOnS3() ? Outcome.S3_WAIT : Outcome.CACHE_HIT, result.waitNanos());
    }
}
