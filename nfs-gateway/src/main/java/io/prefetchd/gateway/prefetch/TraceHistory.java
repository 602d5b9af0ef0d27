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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * What a dataset's planner remembers across restarts: the newest epochs of the dataset's persisted traces, every job
 * (hinted or not) included, each as the planner would have seen it live: its samples in order of first read.
 *
 * <p>Samples are found again through the dataset's <em>current</em> index (key, ETag and offset of each read), not
 * taken from the trace's {@code sample} column: a read of an object that changed since, or a trace written before
 * the column existed, maps by today's index or not at all, so an old trace can never name the wrong sample.
 *
 * <p>"Newest" is by the time the epoch's last file was written. A file that cannot be read is skipped with a
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
        all.sort(Comparator.comparingLong(TraceHistory::writtenAt).reversed());
        SampleLocator locator = SampleLocator.of(index);
        List<int[]> passes = new ArrayList<>(); // newest first
        for (EpochTrace e : all) {
            if (passes.size() >= epochs) {
                break;
            }
            List<int[]> inFile = passes(e, locator, index.sampleCount());
            for (int i = inFile.size() - 1; i >= 0 && passes.size() < epochs; i--) {
                passes.add(inFile.get(i));
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
     * The passes over the dataset in one traced epoch, each its samples in order of first read. A traced epoch is
     * usually one pass; without hints the tracer may run several passes into one epoch (a job that reads only part
     * of each object never reaches the dataset's size), so a new pass begins, as for the executor's epochs, when a
     * pass that has read {@value #COVERAGE_PERCENT}% of the samples reads one of them again.
     */
    private List<int[]> passes(EpochTrace e, SampleLocator locator, long sampleCount) {
        List<int[]> out = new ArrayList<>();
        BitSet seen = new BitSet();
        int[] order = new int[64];
        int n = 0;
        long full = Math.max(1, sampleCount * COVERAGE_PERCENT / 100);
        long last = -1;
        try (EpochReads reads = store.reads(e)) {
            while (reads.hasNext()) {
                ReadRecord r = reads.next();
                long s = locator.sampleAt(r.objectKey(), r.etag(), r.offset());
                if (s < 0 || s >= sampleCount || s > Integer.MAX_VALUE || s == last) {
                    continue;
                }
                last = s;
                if (seen.get((int) s)) {
                    if (n < full) {
                        continue; // a re-read within the pass
                    }
                    out.add(Arrays.copyOf(order, n));
                    seen.clear();
                    n = 0;
                }
                seen.set((int) s);
                if (n == order.length) {
                    order = Arrays.copyOf(order, n * 2);
                }
                order[n++] = (int) s;
            }
        } catch (IOException | RuntimeException ex) {
            LOG.warn("trace {} skipped as planner history: {}", e.id(), ex.toString());
            return List.of();
        }
        if (n > 0) {
            out.add(Arrays.copyOf(order, n));
        }
        return out;
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
