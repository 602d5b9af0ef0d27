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
     * The newest epochs of {@code dataset} (its trace name), oldest first, each its samples by {@code index} in
     * order of first read. Epochs in which no read maps to a sample are left out.
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
        List<EpochOrder> out = new ArrayList<>();
        for (EpochTrace e : all) {
            if (out.size() == epochs) {
                break;
            }
            int[] order = firstReads(e, locator, index.sampleCount());
            if (order.length > 0) {
                out.add(EpochOrder.of(e.epoch(), order));
            }
        }
        Collections.reverse(out);
        return List.copyOf(out);
    }

    private int[] firstReads(EpochTrace e, SampleLocator locator, long sampleCount) {
        BitSet seen = new BitSet();
        int[] order = new int[64];
        int n = 0;
        try (EpochReads reads = store.reads(e)) {
            while (reads.hasNext()) {
                ReadRecord r = reads.next();
                long s = locator.sampleAt(r.objectKey(), r.etag(), r.offset());
                if (s < 0 || s >= sampleCount || s > Integer.MAX_VALUE || seen.get((int) s)) {
                    continue;
                }
                seen.set((int) s);
                if (n == order.length) {
                    order = Arrays.copyOf(order, n * 2);
                }
                order[n++] = (int) s;
            }
        } catch (IOException | RuntimeException ex) {
            LOG.warn("trace {} skipped as planner history: {}", e.id(), ex.toString());
            return new int[0];
        }
        return Arrays.copyOf(order, n);
    }

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
