package io.prefetchd.gateway.prefetch;

import io.prefetchd.formats.DatasetIndex;
import io.prefetchd.formats.SampleLocator;
import io.prefetchd.planner.EpochOrder;
import io.prefetchd.tracer.EpochReads;
import io.prefetchd.tracer.EpochTrace;
import io.prefetchd.tracer.ReadRecord;
import io.prefetchd.tracer.TraceFile;
import io.prefetchd.tracer.TraceStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * What a dataset's planner remembers across restarts: the newest epochs of the dataset's persisted traces, every job
 * (hinted or not) included, each as the planner would have seen it live: its samples in order of first read.
 *
 * <p>Samples are found again through the dataset's <em>current</em> index (key, ETag and offset of each read), not
 * taken from the trace's {@code sample} column: a read of an object that changed since, or a trace written before
 * the column existed, maps by today's index or not at all, so an old trace can never name the wrong sample.
 *
 * <p>A job's traced epochs are read as one stream and cut into passes; jobs are taken newest first, by the time
 * their last epoch's last file was written. A file that cannot be read is skipped with a
 * warning: history is a head start, never a reason not to plan. Reads files on the caller's thread (the planner
 * itself does no I/O); thread-safe, stateless apart from its settings.
 */
public final class TraceHistory {
    private static final Logger LOG = LoggerFactory.getLogger(TraceHistory.class);

    /** Epochs a planner starts from by default: enough to see an order repeat, few enough to read quickly. */
    public static final int DEFAULT_EPOCHS = 4;

    private final TraceStore store;
    private final int epochs;

    /** @param epochs how many of a dataset's newest epochs to read (0: none) */
    public TraceHistory(TraceStore store, int epochs) {
        this.store = requireNonNull(store, "store is null");
        if (epochs < 0) {
            throw new IllegalArgumentException("epochs is negative: " + epochs);
        }
        this.epochs = epochs;
    }

    /**
     * The newest passes over {@code dataset} (its trace name) in its traces, oldest first, each its samples by
     * {@code index} in order of first read; at most the configured number. Reads that map to no sample are left out.
     */
    public List<EpochOrder> of(String dataset, DatasetIndex index) {
        requireNonNull(dataset, "dataset is null");
        requireNonNull(index, "index is null");
        if (epochs == 0) {
            return List.of();
        }
        List<EpochTrace> all;
        try {
            all = new ArrayList<>(store.epochs(dataset));
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("traces of {} not read: {}; its planner starts without history", dataset, e.toString());
            return List.of();
        }
        if (all.isEmpty()) {
            return List.of();
        }
        Map<String, List<EpochTrace>> byJob = new HashMap<>();
        for (EpochTrace e : all) {
            byJob.computeIfAbsent(e.job(), j -> new ArrayList<>()).add(e);
        }
        List<List<EpochTrace>> jobs = new ArrayList<>(byJob.values());
        jobs.forEach(j -> j.sort(Comparator.comparingInt(EpochTrace::epoch)));
        jobs.sort(Comparator.comparingLong((List<EpochTrace> j) -> writtenAt(j.get(j.size() - 1))).reversed());
        SampleLocator locator = SampleLocator.of(index);
        List<int[]> passes = new ArrayList<>(); // newest first
        for (List<EpochTrace> job : jobs) {
            if (passes.size() >= epochs) {
                break;
            }
            List<int[]> ofJob = passes(job, locator, index.sampleCount(), epochs - passes.size());
            for (int i = ofJob.size() - 1; i >= 0 && passes.size() < epochs; i--) {
                passes.add(ofJob.get(i));
            }
        }
        Collections.reverse(passes);
        List<EpochOrder> out = new ArrayList<>();
        for (int[] pass : passes) {
            out.add(EpochOrder.of(out.size(), pass));
        }
        return List.copyOf(out);
    }

    /**
     * The passes over the dataset in one job's traced epochs, read as one stream in epoch order, each pass its
     * samples in order of first read. Without hints the tracer infers epochs from bytes read and gaps, so its
     * boundaries need not fall between passes: a traced epoch may end a few reads into the next pass, or hold
     * several passes (a job that reads only part of each object never reaches the dataset's size). So a new pass
     * begins, as for the executor's epochs, when a pass that has read {@value #COVERAGE_PERCENT}% of the samples
     * reads one of them again, or when a pass that crossed a traced epoch's end reads one of them again (a hinted
     * epoch over part of the dataset is one pass); otherwise a pass goes on across the boundary. A file that
     * cannot be read ends the pass being built there, unfinished, and is skipped with a warning. Only the newest
     * {@code keep} passes are kept while reading: a long job's older passes (an int per sample each) are dropped as
     * newer ones end.
     */
    private List<int[]> passes(List<EpochTrace> job, SampleLocator locator, long sampleCount, int keep) {
        ArrayDeque<int[]> out = new ArrayDeque<>();
        BitSet seen = new BitSet();
        int[] order = new int[64];
        int n = 0;
        long full = Math.max(1, sampleCount * COVERAGE_PERCENT / 100);
        long last = -1;
        boolean crossedEpoch = false;
        for (EpochTrace e : job) {
            try (EpochReads reads = store.reads(e)) {
                while (reads.hasNext()) {
                    ReadRecord r = reads.next();
                    long s = locator.sampleAt(r.objectKey(), r.etag(), r.offset());
                    if (s < 0 || s >= sampleCount || s > Integer.MAX_VALUE || s == last) {
                        continue;
                    }
                    last = s;
                    if (seen.get((int) s)) {
                        if (n < full && !crossedEpoch) {
                            continue; // a re-read within the pass
                        }
                        keepNewest(out, Arrays.copyOf(order, n), keep);
                        seen.clear();
                        n = 0;
                        crossedEpoch = false;
                    }
                    seen.set((int) s);
                    if (n == order.length) {
                        order = Arrays.copyOf(order, n * 2);
                    }
                    order[n++] = (int) s;
                }
                crossedEpoch = n > 0;
                last = -1; // the next epoch's first read is a read of its own, even of the same sample
            } catch (IOException | RuntimeException ex) {
                LOG.warn("trace {} skipped as planner history: {}", e.id(), ex.toString());
                seen.clear();
                n = 0;
                last = -1;
                crossedEpoch = false;
            }
        }
        if (n > 0) {
            keepNewest(out, Arrays.copyOf(order, n), keep);
        }
        return new ArrayList<>(out);
    }

    private static void keepNewest(ArrayDeque<int[]> passes, int[] pass, int keep) {
        passes.addLast(pass);
        while (passes.size() > keep) {
            passes.removeFirst();
        }
    }

    private static final long COVERAGE_PERCENT = 90;

    private static long writtenAt(EpochTrace e) {
        long newest = Long.MIN_VALUE;
        for (TraceFile f : e.parts()) {
            try {
                newest = Math.max(newest, Files.getLastModifiedTime(f.path()).toMillis());
            } catch (NoSuchFileException gone) {
                // deleted by retention meanwhile: reads as empty
            } catch (IOException ex) {
                LOG.debug("no modification time for {}: {}", f.path(), ex.toString());
            }
        }
        return newest;
    }
}
