package io.prefetchd.tracer;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The files of one epoch of one (dataset, job), parts in order.
 *
 * @param dataset the dataset's folder name
 * @param job     the job's folder name
 * @param epoch   epoch number
 * @param parts   its files, part 1 first
 */
public record EpochTrace(String dataset, String job, int epoch, List<TraceFile> parts) {
    public EpochTrace {
        requireNonNull(dataset, "dataset is null");
        requireNonNull(job, "job is null");
        parts = List.copyOf(parts);
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("an epoch has at least one file");
        }
    }

    /** {@code <dataset>/<job>/<epoch>}: how the CLI names this epoch. */
    public String id() {
        return dataset + "/" + job + "/" + epoch;
    }

    /** Total size of the parts when listed. */
    public long sizeBytes() {
        return parts.stream().mapToLong(TraceFile::sizeBytes).sum();
    }
}
