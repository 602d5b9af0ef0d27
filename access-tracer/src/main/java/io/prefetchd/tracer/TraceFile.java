package io.prefetchd.tracer;

import java.nio.file.Path;

import static java.util.Objects.requireNonNull;

/**
 * One epoch file: {@code traces/<dataset>/<job>/epoch-<epoch>.arrow}, or {@code epoch-<epoch>.part<part>.arrow}
 * for the second and later parts of an epoch.
 *
 * @param dataset   the dataset's folder name (the dataset name itself when it was already path-safe)
 * @param job       the job's folder name (likewise)
 * @param epoch     epoch number
 * @param part      1 for {@code epoch-<n>.arrow}, k for {@code epoch-<n>.part<k>.arrow}
 * @param path      the file
 * @param sizeBytes its size when listed
 */
public record TraceFile(String dataset, String job, int epoch, int part, Path path, long sizeBytes) {
    public TraceFile {
        requireNonNull(dataset, "dataset is null");
        requireNonNull(job, "job is null");
        requireNonNull(path, "path is null");
    }
}
