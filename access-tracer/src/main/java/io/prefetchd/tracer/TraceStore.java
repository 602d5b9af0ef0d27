package io.prefetchd.tracer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Reads the traces under a state folder: lists epochs, iterates an epoch's reads, summarises them per object and
 * per sample. Read-only; safe to use while a tracer writes (an epoch being written reads as truncated: up to its
 * last written batch). Thread-safe: every call opens its own files.
 */
public interface TraceStore {

    /** A store over {@code <stateDir>/traces} (which need not exist yet). */
    static TraceStore open(Path stateDir) {
        return new DefaultTraceStore(stateDir.resolve("traces"));
    }

    /** The folder the traces are in. */
    Path tracesDir();

    /** Every epoch, by dataset, job and epoch number. */
    List<EpochTrace> epochs() throws IOException;

    /** The epochs of one (dataset, job), oldest first; names as given to the tracer (they are made path-safe here). */
    List<EpochTrace> epochs(String dataset, String job) throws IOException;

    /** The epochs of every job of one dataset (its name as given to the tracer), by job and epoch. */
    List<EpochTrace> epochs(String dataset) throws IOException;

    /** One epoch, if it has a file. */
    Optional<EpochTrace> epoch(String dataset, String job, int epoch) throws IOException;

    /**
     * An epoch named the way the CLI names it: {@code <dataset>/<job>/<n>} or {@code <dataset>/<job>/epoch-<n>}
     * (folder names, as {@link EpochTrace#id()} prints them), or the path of one {@code .arrow} file (anywhere).
     *
     * @throws java.nio.file.NoSuchFileException if nothing matches
     */
    EpochTrace resolve(String idOrPath) throws IOException;

    /** Iterates the epoch's reads; close the result. */
    EpochReads reads(EpochTrace epoch) throws IOException;

    /** Per object version (key, ETag), in order of first read. */
    List<ObjectSummary> objectSummaries(EpochTrace epoch) throws IOException;

    /**
     * Per sample, in order of first read (the epoch's sample order). Reads that {@code mapper} maps to
     * {@link SampleMapper#NO_SAMPLE} are left out.
     */
    List<SampleSummary> sampleSummaries(EpochTrace epoch, SampleMapper mapper) throws IOException;

    /** Convenience: the file's reads as a list (small traces, tests). */
    default List<ReadRecord> readAll(EpochTrace epoch) throws IOException {
        try (EpochReads r = reads(epoch)) {
            List<ReadRecord> out = new java.util.ArrayList<>();
            r.forEachRemaining(out::add);
            return out;
        }
    }

    /** The epoch of a single file (for a path outside this store too). */
    static EpochTrace ofFile(Path file) throws IOException {
        return TracePaths.epochOfFile(file);
    }
}
