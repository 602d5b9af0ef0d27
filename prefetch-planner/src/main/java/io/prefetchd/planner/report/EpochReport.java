package io.prefetchd.planner.report;

import java.util.List;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * One epoch of one job on one dataset, summed up. docs/REPORTS.md says how every figure is computed; the JSON
 * names ({@link Reports#toJson}) are the component names in snake case with their unit.
 *
 * <p>A ratio that has no denominator (an epoch without reads) is {@code NaN}, {@code null} in JSON.
 *
 * @param dataset              the dataset's id
 * @param job                  the job (training run) that read it
 * @param epoch                epoch number as the tracer or the hint counted it
 * @param hinted               the job published this epoch's order
 * @param complete             the epoch ended; false for a partial report of an epoch in progress
 * @param finishedAt           wall-clock time the report was completed (ISO-8601), "" if unknown or in progress
 * @param startNanos           epoch start, executor's monotonic clock
 * @param endNanos             epoch end (or the latest event of an epoch in progress), same clock
 * @param datasetBytes         D: the dataset's bytes
 * @param capacityBytes        C: the cache's capacity
 * @param samplesRead          sample reads (a sample read twice counts twice)
 * @param bytesRead            bytes of those reads
 * @param hitRatio             share of bytes read that did not come from S3 during the epoch
 * @param noWaitShare          share of reads served without waiting on S3
 * @param readsWaited          reads that waited on S3
 * @param waitTotalSeconds     sum of all reads' waits
 * @param waitP99Seconds       99th percentile (nearest rank) of the wait over all reads, waitless ones included
 * @param waitMaxSeconds       longest wait
 * @param s3Gets               GETs issued (ended, failed ones included)
 * @param s3GetsDemand         of those, GETs a reader waited for
 * @param s3GetsFailed         of those, GETs that failed or were cancelled
 * @param s3Bytes              bytes requested by all GETs
 * @param s3BytesDemand        of those, by demand GETs
 * @param s3UsefulBytes        bytes of successful GETs that belong to samples (GET bytes minus coalescing holes)
 * @param prefetchedUnusedBytes prefetched bytes evicted or left at the end without being read
 * @param plannedSamples       samples the planner expected (-1: never planned)
 * @param plannedFetchBytes    bytes the planner planned to fetch (-1: never planned)
 * @param plans                how many times the epoch was planned (re-plans included)
 * @param traceTruncated       the log kept only a prefix of the reads or GETs (see {@link EpochLog})
 * @param counterfactual       LRU and OPT on the same trace, or null when not computed
 * @param counterfactualNote   why there is no counterfactual, or what it covers; "" when there is nothing to say
 * @param timeline             the epoch cut into {@link Reports#TIMELINE_BUCKETS} equal buckets
 * @param datasetPath          the dataset's path in the gateway's export ({@code imagefolder/train}; {@code ""}
 *                             for the export root, or when unknown)
 * @param datasetFormat        the dataset's format as users name it ({@code imagefolder}); {@code ""} when the
 *                             dataset's name is unknown (a report of a dataset no longer served)
 * @param ended                what ended the epoch ({@link EpochEnd#RUNNING} exactly when not {@code complete})
 */
public record EpochReport(String dataset, String job, int epoch, boolean hinted, boolean complete, String finishedAt,
                          long startNanos, long endNanos, long datasetBytes, long capacityBytes,
                          long samplesRead, long bytesRead, double hitRatio, double noWaitShare, long readsWaited,
                          double waitTotalSeconds, double waitP99Seconds, double waitMaxSeconds,
                          long s3Gets, long s3GetsDemand, long s3GetsFailed, long s3Bytes, long s3BytesDemand,
                          long s3UsefulBytes, long prefetchedUnusedBytes, long plannedSamples,
                          long plannedFetchBytes, int plans, boolean traceTruncated,
                          @Nullable Counterfactual counterfactual,
                          String counterfactualNote, Timeline timeline, String datasetPath, String datasetFormat,
                          EpochEnd ended) {

    public EpochReport {
        requireNonNull(ended, "ended is null");
        if (complete == (ended == EpochEnd.RUNNING)) {
            throw new IllegalArgumentException("a report is complete exactly when its epoch ended: complete "
                    + complete + ", ended " + ended.jsonName());
        }
        requireNonNull(datasetPath, "datasetPath is null");
        requireNonNull(datasetFormat, "datasetFormat is null");
        requireNonNull(dataset, "dataset is null");
        requireNonNull(job, "job is null");
        requireNonNull(finishedAt, "finishedAt is null");
        requireNonNull(counterfactualNote, "counterfactualNote is null");
        requireNonNull(timeline, "timeline is null");
    }

    /**
     * How people name the dataset: {@code <path> (<format>)}, the export root shown as {@code /}; the id when the
     * name is unknown.
     */
    public String datasetName() {
        return datasetFormat.isEmpty() ? dataset
                : (datasetPath.isEmpty() ? "/" : datasetPath) + " (" + datasetFormat + ")";
    }

    /** Whether {@code wanted} names this report's dataset: its id, its path or its {@link #datasetName()}. */
    public boolean isOfDataset(String wanted) {
        if (wanted.equals(dataset)) {
            return true;
        }
        if (datasetFormat.isEmpty()) {
            return false;
        }
        String path = wanted.startsWith("/") && wanted.length() > 1 ? wanted.substring(1) : wanted;
        while (path.endsWith("/") && path.length() > 1) {
            path = path.substring(0, path.length() - 1);
        }
        return path.equals(datasetPath) || path.equals("/") && datasetPath.isEmpty() || wanted.equals(datasetName());
    }

    /** The same report, its dataset named by its path in the export and its format. */
    public EpochReport withDatasetName(String path, String format) {
        return new EpochReport(dataset, job, epoch, hinted, complete, finishedAt, startNanos, endNanos, datasetBytes,
                capacityBytes, samplesRead, bytesRead, hitRatio, noWaitShare, readsWaited, waitTotalSeconds,
                waitP99Seconds, waitMaxSeconds, s3Gets, s3GetsDemand, s3GetsFailed, s3Bytes, s3BytesDemand,
                s3UsefulBytes, prefetchedUnusedBytes, plannedSamples, plannedFetchBytes, plans, traceTruncated,
                counterfactual, counterfactualNote, timeline, path, format, ended);
    }

    /** Epoch time in seconds. */
    public double durationSeconds() {
        return (endNanos - startNanos) / 1e9;
    }

    /** c = C / D, at most 1 (NaN for an empty dataset). */
    public double cacheFraction() {
        return datasetBytes == 0 ? Double.NaN : Math.min(1.0, (double) capacityBytes / datasetBytes);
    }

    /** (1 − c)·D = max(0, D − C): the S3 bytes no policy avoids on a fresh random permutation. */
    public long boundBytes() {
        return Math.max(0, datasetBytes - capacityBytes);
    }

    /** GETs not waited for by a reader. */
    public long s3GetsPrefetch() {
        return s3Gets - s3GetsDemand;
    }

    /** Bytes of prefetch GETs. */
    public long s3BytesPrefetch() {
        return s3Bytes - s3BytesDemand;
    }

    /** S3 bytes / bytes read (NaN without reads). */
    public double readAmplification() {
        return bytesRead == 0 ? Double.NaN : (double) s3Bytes / bytesRead;
    }

    /** Achieved vs planned: S3 bytes / planned fetch bytes (NaN when never planned, or planned 0 bytes). */
    public double s3BytesVsPlanned() {
        return plannedFetchBytes <= 0 ? Double.NaN : (double) s3Bytes / plannedFetchBytes;
    }

    /** The same report, stamped with the wall-clock time it was completed. */
    public EpochReport withFinishedAt(String instant) {
        return new EpochReport(dataset, job, epoch, hinted, complete, instant, startNanos, endNanos, datasetBytes,
                capacityBytes, samplesRead, bytesRead, hitRatio, noWaitShare, readsWaited, waitTotalSeconds,
                waitP99Seconds, waitMaxSeconds, s3Gets, s3GetsDemand, s3GetsFailed, s3Bytes, s3BytesDemand,
                s3UsefulBytes, prefetchedUnusedBytes, plannedSamples, plannedFetchBytes, plans, traceTruncated,
                counterfactual, counterfactualNote, timeline, datasetPath, datasetFormat, ended);
    }

    /**
     * What the classic policies would have done on this epoch's reads with the same capacity, simulated.
     *
     * @param warmedUp   the previous epoch's order was replayed first (so the cache was warm, as in the gateway)
     * @param reads      reads replayed and counted (the epoch's, its kept prefix, or the sampled ones)
     * @param sampleRate share of the dataset's samples simulated: 1 = exact; below 1, a spatial sample whose cache
     *                   was scaled by this rate and whose S3 bytes and GETs were divided by it (estimates)
     */
    public record Counterfactual(boolean warmedUp, long reads, double sampleRate, Policy lru, Policy opt) {
        public Counterfactual {
            requireNonNull(lru, "lru is null");
            requireNonNull(opt, "opt is null");
        }
    }

    /**
     * One policy's result on the trace.
     *
     * @param hitRatio share of bytes read that were already in its cache
     * @param s3Bytes  bytes it fetched from S3
     * @param s3Gets   GETs it issued
     */
    public record Policy(double hitRatio, long s3Bytes, long s3Gets) {
    }

    /**
     * The epoch cut into equal buckets from its start to its end.
     *
     * @param bucketSeconds the width of one bucket
     */
    public record Timeline(double bucketSeconds, List<Bucket> buckets) {
        public Timeline {
            buckets = List.copyOf(requireNonNull(buckets, "buckets is null"));
        }
    }

    /**
     * One bucket of the timeline. A read counts in the bucket where it started, a GET's bytes in the bucket where
     * it started and in the bucket where it ended (if it succeeded).
     *
     * @param reads             reads started in the bucket
     * @param readsWaited       of those, reads that waited on S3
     * @param waitSeconds       their total wait
     * @param getBytesStarted   bytes of GETs started in the bucket
     * @param getBytesCompleted bytes of successful GETs that ended in the bucket
     * @param getsInFlightMax   most GETs in flight at once during the bucket
     */
    public record Bucket(long reads, long readsWaited, double waitSeconds, long getBytesStarted,
                         long getBytesCompleted, int getsInFlightMax) {
    }
}
