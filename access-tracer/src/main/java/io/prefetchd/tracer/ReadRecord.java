package io.prefetchd.tracer;

import static java.util.Objects.requireNonNull;

/**
 * One client read as the trace keeps it: one row of an epoch file (the column names are in
 * {@code docs/TRACES.md}).
 *
 * @param timeNanos     when the gateway served the read (the tracer's {@link NanoClock}: ns since the Unix epoch)
 * @param clientId      the NFS client id (the 64-bit clientid of EXCHANGE_ID or SETCLIENTID, as signed bits)
 * @param clientAddress the client's network address as the gateway saw it ({@code ""} when unknown)
 * @param objectKey     the S3 object key
 * @param etag          the ETag of the object version that was read ({@code ""} when unknown)
 * @param fileId        the gateway's stable file id (the NFS {@code fileid}, inode number) of the file handle
 * @param offset        first byte read
 * @param length        bytes returned to the client
 * @param outcome       how the read was served
 * @param s3WaitNanos   how long the read waited on S3 (0 unless {@link Outcome#S3_WAIT})
 * @param dataset       the dataset the object belongs to
 * @param job           the training job the read is attributed to
 * @param epoch         the epoch number within (dataset, job)
 * @param sample        the index of the dataset's sample that holds the first byte read, by the dataset's format
 *                      index; {@value #UNKNOWN} when the dataset is not indexed, the object changed since, or no
 *                      sample holds the byte (a tar header, a Parquet footer)
 * @param rank          the rank of the job that read, from its hints, when the job has one rank;
 *                      {@value #UNKNOWN} when no hinted epoch is in force or the job has several ranks (NFS does not
 *                      say which process read)
 */
public record ReadRecord(long timeNanos, long clientId, String clientAddress, String objectKey, String etag,
                         long fileId, long offset, int length, Outcome outcome, long s3WaitNanos, String dataset,
                         String job, int epoch, long sample, int rank) {
    /** The {@code sample} or {@code rank} of a read that has none, or whose value is not known. */
    public static final int UNKNOWN = -1;

    public ReadRecord {
        requireNonNull(clientAddress, "clientAddress is null");
        requireNonNull(objectKey, "objectKey is null");
        requireNonNull(etag, "etag is null");
        requireNonNull(outcome, "outcome is null");
        requireNonNull(dataset, "dataset is null");
        requireNonNull(job, "job is null");
        if (offset < 0 || length < 0 || s3WaitNanos < 0 || epoch < 0) {
            throw new IllegalArgumentException("negative offset, length, wait or epoch: offset=" + offset
                    + " length=" + length + " s3WaitNanos=" + s3WaitNanos + " epoch=" + epoch);
        }
        if (sample < UNKNOWN || rank < UNKNOWN) {
            throw new IllegalArgumentException("sample and rank are -1 (unknown) or not negative: sample=" + sample
                    + " rank=" + rank);
        }
    }

    /** The byte after the last one read. */
    public long end() {
        return offset + length;
    }
}
