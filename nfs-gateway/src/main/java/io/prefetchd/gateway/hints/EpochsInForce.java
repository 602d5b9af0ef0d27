package io.prefetchd.gateway.hints;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * The hinted epoch in force on each dataset: which job's epoch a read of the dataset belongs to. An epoch is in
 * force from the moment the hint service accepts its order until the job ends it ({@code EndEpoch}) or publishes
 * another epoch. When several jobs have an epoch in force on one dataset at once, the one accepted most recently
 * is in force (the reads of one dataset cannot be told apart by job: NFS does not say which process read).
 * A dataset without an epoch in force has none: its reads are unhinted.
 *
 * <p>The rank that read is known only when the job has one rank (world size 1): then it is the rank that
 * published. A job of several ranks gets {@link #UNKNOWN_RANK}, for the same reason.
 *
 * <p>Thread-safe. {@link #of}, called on every READ, takes no lock: it reads a concurrent map that
 * {@link #begin} and {@link #end} update under the dataset's monitor.
 */
public final class EpochsInForce {
    /** The rank of reads whose rank cannot be told. */
    public static final int UNKNOWN_RANK = -1;

    /**
     * A job's epoch in force on a dataset.
     *
     * @param job   the job
     * @param epoch its epoch
     * @param rank  the rank that reads, or {@link #UNKNOWN_RANK} when the job has several
     */
    public record InForce(String job, int epoch, int rank) {
        public InForce {
            requireNonNull(job, "job is null");
        }
    }

    /** Per dataset id: job -> its epoch in force, in the order accepted (the last is in force). */
    private final Map<String, LinkedHashMap<String, InForce>> open = new ConcurrentHashMap<>();
    /** Per dataset id, the epoch in force (the last value of its {@link #open} entry). */
    private final Map<String, InForce> inForce = new ConcurrentHashMap<>();

    /**
     * The hint service accepted {@code epoch} of {@code job}, published by {@code rank} of {@code worldSize}, on
     * the dataset: it is in force from now on.
     */
    public void begin(String datasetId, String job, int epoch, int rank, int worldSize) {
        requireNonNull(job, "job is null");
        LinkedHashMap<String, InForce> jobs = open.computeIfAbsent(requireNonNull(datasetId, "datasetId is null"),
                k -> new LinkedHashMap<>());
        InForce now = new InForce(job, epoch, worldSize == 1 ? rank : UNKNOWN_RANK);
        synchronized (jobs) {
            jobs.remove(job);
            jobs.put(job, now);
            inForce.put(datasetId, now);
        }
    }

    /**
     * The job ended its epoch on the dataset; the epoch of another job accepted before it, if not ended, is in
     * force again.
     */
    public void end(String datasetId, String job) {
        LinkedHashMap<String, InForce> jobs = open.get(datasetId);
        if (jobs != null) {
            synchronized (jobs) {
                jobs.remove(job);
                InForce last = null;
                for (InForce j : jobs.values()) {
                    last = j;
                }
                if (last == null) {
                    inForce.remove(datasetId);
                } else {
                    inForce.put(datasetId, last);
                }
            }
        }
    }

    /** The epoch in force on the dataset, or {@code null} when none is. */
    public @Nullable InForce of(String datasetId) {
        return inForce.get(datasetId);
    }

    /** The job whose epoch is in force on the dataset, or {@code null} when none is. */
    public @Nullable String jobOf(String datasetId) {
        InForce f = inForce.get(datasetId);
        return f == null ? null : f.job();
    }
}
