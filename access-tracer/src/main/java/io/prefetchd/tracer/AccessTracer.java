package io.prefetchd.tracer;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import static java.util.Objects.requireNonNull;

/**
 * Records every read the gateway serves into per-epoch Arrow IPC files (see {@code docs/TRACES.md}).
 *
 * <p>The read path calls {@link #record}; it never blocks and never does I/O. Records go into a bounded ring
 * buffer that one writer thread drains into {@code traces/<dataset>/<job>/epoch-<n>.arrow}. When the buffer is
 * full the record is dropped and counted ({@link TracerStats#dropped()}, {@link TracerListener#onDropped}).
 *
 * <p>Epochs are per (dataset, job). {@link #beginEpoch}/{@link #endEpoch} (from the hint API) set them; without
 * hints they are inferred: an epoch ends when its bytes read reach the dataset's size
 * ({@link #datasetSize}) or after the idle gap. The rule in full is in the package documentation.
 *
 * <p>Thread-safe: every method may be called from any thread. Hints, sizes and flushes are ordered with the
 * records: a record made before {@code beginEpoch} returns on the same thread belongs to the earlier epoch, one
 * made after belongs to the new one.
 */
public interface AccessTracer extends AutoCloseable {

    /**
     * Starts a tracer with its writer on {@code writerExecutor}, which must run the writer task on a thread of
     * its own for the tracer's whole life (the task returns only after {@link #close()}). Files left by an
     * earlier run are kept; epoch numbering continues after them; retention runs at once.
     */
    static AccessTracer start(TracerConfig config, NanoClock clock, Executor writerExecutor,
                              TracerListener listener) {
        requireNonNull(config, "config is null");
        requireNonNull(clock, "clock is null");
        requireNonNull(writerExecutor, "writerExecutor is null");
        requireNonNull(listener, "listener is null");
        return DefaultAccessTracer.start(config, clock, writerExecutor, listener);
    }

    /** A tracer on the system clock with its own daemon writer thread {@code prefetchd-tracer-writer}. */
    static AccessTracer start(TracerConfig config, TracerListener listener) {
        return start(config, NanoClock.system(), command -> {
            Thread t = new Thread(command, "prefetchd-tracer-writer");
            t.setDaemon(true);
            t.start();
        }, listener);
    }

    /** A tracer that records nothing, for a gateway with tracing switched off. */
    static AccessTracer disabled() {
        return DisabledTracer.INSTANCE;
    }

    /**
     * Records one served READ whose rank and sample are not known. Call it after the reply's data is known (the record's time is now). Never blocks,
     * never does I/O, allocates nothing; if the buffer is full the record is dropped and counted.
     *
     * @param dataset       dataset the object belongs to (the unit of epoch inference, with {@code job})
     * @param job           job the read is attributed to; without hints, pass the same name for every client of
     *                      a dataset (for example {@code "default"}) so that inference is per dataset
     * @param clientId      NFS client id
     * @param clientAddress client address ({@code null} is written as {@code ""}); pass a string cached per
     *                      client rather than formatting one per read
     * @param objectKey     S3 key ({@code null} is written as {@code ""})
     * @param etag          ETag of the version read ({@code null} is written as {@code ""})
     * @param fileId        the file's stable id (NFS fileid)
     * @param offset        first byte read, &ge; 0
     * @param length        bytes returned, &ge; 0
     * @param outcome       how it was served
     * @param s3WaitNanos   time spent waiting on S3, &ge; 0
     * @throws NullPointerException     if {@code dataset}, {@code job} or {@code outcome} is null
     * @throws IllegalArgumentException if {@code offset}, {@code length} or {@code s3WaitNanos} is negative
     */
    default void record(String dataset, String job, long clientId, String clientAddress, String objectKey,
                        String etag, long fileId, long offset, int length, Outcome outcome, long s3WaitNanos) {
        record(dataset, job, ReadRecord.UNKNOWN, clientId, clientAddress, objectKey, etag, fileId,
                ReadRecord.UNKNOWN, offset, length, outcome, s3WaitNanos);
    }

    /**
     * Records one served READ with the rank that made it and the sample it falls in; otherwise as
     * {@link #record(String, String, long, String, String, String, long, long, int, Outcome, long)}.
     *
     * @param rank   the job's rank that read, or {@link ReadRecord#UNKNOWN}
     * @param sample the dataset's sample holding the first byte read, or {@link ReadRecord#UNKNOWN}
     * @throws IllegalArgumentException also if {@code rank} or {@code sample} is below {@link ReadRecord#UNKNOWN}
     */
    void record(String dataset, String job, int rank, long clientId, String clientAddress, String objectKey,
                String etag, long fileId, long sample, long offset, int length, Outcome outcome, long s3WaitNanos);

    /**
     * The job announced epoch {@code epoch} of {@code dataset}: the stream's current epoch ends (unless it is an
     * inferred epoch with this very number, which is adopted: reads that raced ahead of the hint stay in it) and
     * reads go to epoch {@code epoch} until {@link #endEpoch} or the next {@code beginEpoch}. Hinted epochs are
     * never cut by coverage or idleness (after an idle gap their file is closed and later reads go to a new
     * part). Never blocks.
     *
     * @throws IllegalArgumentException if {@code epoch} is negative
     */
    void beginEpoch(String dataset, String job, int epoch);

    /** The job finished its current epoch of {@code dataset}: the file is closed. Never blocks. */
    void endEpoch(String dataset, String job);

    /**
     * The dataset's size in bytes, for inferring epochs by coverage ({@code 0} forgets it: epochs then end only
     * by idleness or hints). Applies from the next record on. Never blocks.
     */
    void datasetSize(String dataset, long bytes);

    /**
     * Completes once every record accepted before this call is written to its file (and forced to the device
     * when {@link TracerConfig#fsync()}); idle epochs are ended first, by the clock's time now. Completes
     * exceptionally if the writer has died. Already complete after {@link #close()}.
     */
    CompletableFuture<Void> flush();

    /** Counters since start; cheap, any thread. */
    TracerStats stats();

    /**
     * Stops accepting records, writes everything accepted, finishes every open file with its footer, and waits
     * for that up to {@link TracerConfig#closeTimeout()}. A clean close loses no accepted record. Idempotent.
     */
    @Override
    void close();
}
