package io.prefetchd.gateway.hints;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static java.util.Objects.requireNonNull;

/**
 * The hinted epoch in force on each dataset: which job's epoch a read of the dataset belongs to. An epoch is in
 * force from the moment the hint service accepts its order until the job ends it ({@code EndEpoch}) or publishes
 * another epoch. When several jobs have an epoch in force on one dataset at once, the one accepted most recently
 * is in force (the reads of one dataset cannot be told apart by job: NFS does not say which process read).
 * A dataset without an epoch in force has none: its reads are unhinted.
 *
 * <p>Thread-safe. {@link #jobOf}, called on every READ, takes no lock: it reads a concurrent map that
 * {@link #begin} and {@link #end} update under the dataset's monitor.
 */
public final class EpochsInForce {
    /** Per dataset id: job -> epoch, in the order accepted (the last is in force). */
    private final Map<String, LinkedHashMap<String, Integer>> open = new ConcurrentHashMap<>();
    /** Per dataset id, the job in force (the last key of its {@link #open} entry). */
    private final Map<String, String> inForce = new ConcurrentHashMap<>();

    /** The hint service accepted {@code epoch} of {@code job} on the dataset: it is in force from now on. */
    public void begin(String datasetId, String job, int epoch) {
        requireNonNull(job, "job is null");
        LinkedHashMap<String, Integer> jobs = open.computeIfAbsent(requireNonNull(datasetId, "datasetId is null"),
                k -> new LinkedHashMap<>());
        synchronized (jobs) {
            jobs.remove(job);
            jobs.put(job, epoch);
            inForce.put(datasetId, job);
        }
    }

    /**
     * The job ended its epoch on the dataset; the epoch of another job accepted before it, if not ended, is in
     * force again.
     */
    public void end(String datasetId, String job) {
        LinkedHashMap<String, Integer> jobs = open.get(datasetId);
        if (jobs != null) {
            synchronized (jobs) {
                jobs.remove(job);
                String last = null;
                for (String j : jobs.keySet()) {
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

    /** The job whose epoch is in force on the dataset, or {@code null} when none is. */
    public String jobOf(String datasetId) {
        return inForce.get(datasetId);
    }
}
