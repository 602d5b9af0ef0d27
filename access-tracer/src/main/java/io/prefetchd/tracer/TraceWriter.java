package io.prefetchd.tracer;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;

import static java.util.Objects.requireNonNull;

/**
 * The writer thread: drains the ring buffer into epoch files, decides epoch boundaries, flushes batches on time,
 * and applies retention.
 *
 * <h2>Design</h2>
 * One thread owns every file and all epoch state, so none of it needs locks. It loops: take control events and
 * records in stamp order (a control stamped {@code s} is applied once the first {@code s} records are consumed),
 * then housekeeping by the clock's time now (write batches whose oldest row is older than the flush interval,
 * end or close idle epochs, report drops, retention), then park briefly if there was nothing to do. Producers
 * never wake it: a wake-up per record would cost the read path a system call, so the writer polls every
 * {@code min(10 ms, flushInterval / 4)} when idle.
 *
 * <p>Epoch state is kept per stream, a (dataset, job) pair; see the package documentation for the rule. Time for
 * epoch decisions is the records' own timestamps (the idle gap between two reads) and, in housekeeping, the
 * clock's time now (a stream that went quiet).
 *
 * <p>A write error loses the rows of that file that were not yet written (counted as failed), closes the file as
 * it is (it reads as truncated) and leaves the stream's epoch open: after the flush interval the next read tries
 * a new part file. Records of the stream are counted as failed until then. An unexpected exception while
 * handling one record is logged and counted; it does not stop the writer.
 *
 * <p>Thread-safety: {@link #run()} on one thread; the counters are single-writer volatiles, readable anywhere.
 */
final class TraceWriter implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(TraceWriter.class);
    private static final int DRAIN_CHUNK = 4096;
    private static final long RETENTION_PERIOD_NANOS = 60_000_000_000L;

    private final TracerConfig config;
    private final NanoClock clock;
    private final RecordRing ring;
    private final Queue<Control> controls;
    private final TracerListener listener;
    private final Path tracesDir;
    private final long idleGapNanos;
    private final long flushNanos;
    private final long pollNanos;
    private final BufferAllocator allocator = new RootAllocator();
    private final Map<String, Map<String, Stream>> streams = new HashMap<>();
    private final Map<String, Long> datasetSizes = new HashMap<>();
    final CompletableFuture<Void> terminated = new CompletableFuture<>();

    // single-writer counters (only the writer thread writes them)
    private volatile long written;
    private volatile long failed;
    private volatile long bytesWritten;
    private volatile int openFiles;
    private volatile long filesClosed;
    private volatile long filesDeleted;
    private volatile @Nullable Throwable died;

    private long reportedDropped;
    private boolean retentionDue = true;
    private long nextRetentionNanos;
    private long unexpectedErrors;

    TraceWriter(TracerConfig config, NanoClock clock, RecordRing ring, Queue<Control> controls,
                TracerListener listener) {
        this.config = config;
        this.clock = clock;
        this.ring = ring;
        this.controls = controls;
        this.listener = listener;
        this.tracesDir = config.tracesDir();
        this.idleGapNanos = config.idleGap().toNanos();
        this.flushNanos = config.flushInterval().toNanos();
        this.pollNanos = Math.min(10_000_000L, flushNanos / 4);
    }

    /** Per (dataset, job): the epoch now open, if any. Writer-thread only. */
    private static final class Stream {
        final String dataset;
        final String job;
        final Path dir;
        int lastEpoch;
        boolean inEpoch;
        boolean hinted;
        int epoch;
        long bytes;
        boolean hasReads;
        long lastReadNanos;
        @Nullable EpochFileWriter file;
        long forcedAtNanos;
        long retryAfterNanos = Long.MIN_VALUE;

        Stream(String dataset, String job, Path dir, int lastEpoch) {
            this.dataset = dataset;
            this.job = job;
            this.dir = dir;
            this.lastEpoch = lastEpoch;
        }
    }

    @Override
    public void run() {
        try {
            loop();
        } catch (Throwable t) {
            died = t;
            LOG.error("trace writer stopped; reads are no longer traced", t);
            for (Stream s : allStreams()) {
                if (s.file != null) {
                    failed += s.file.pendingRows();
                    s.file.abandon();
                    s.file = null;
                }
            }
            openFiles = 0;
            failControls(t);
        } finally {
            try {
                allocator.close();
            } catch (RuntimeException e) {
                LOG.warn("trace writer: Arrow memory not released: {}", e.toString());
            }
            if (died == null) {
                terminated.complete(null);
            } else {
                terminated.completeExceptionally(died);
            }
        }
    }

    private void loop() {
        while (true) {
            int work = 0;
            boolean stop = false;
            while (work < DRAIN_CHUNK) {
                Control c = controls.peek();
                if (c != null && c.stamp() <= ring.head()) {
                    controls.poll();
                    work++;
                    if (c instanceof Control.Shutdown) {
                        stop = true;
                        break;
                    }
                    apply(c);
                    continue;
                }
                int i = ring.peek();
                if (i < 0) {
                    break;
                }
                try {
                    process(i);
                } catch (RuntimeException e) {
                    failed++;
                    if (unexpectedErrors++ % 1000 == 0) {
                        LOG.error("trace writer: record skipped after an unexpected error", e);
                    }
                } finally {
                    ring.release(i);
                }
                work++;
            }
            if (stop) {
                shutdown();
                return;
            }
            housekeeping(clock.nanos());
            if (work == 0) {
                LockSupport.parkNanos(pollNanos);
            }
        }
    }

    private void apply(Control c) {
        if (c instanceof Control.Begin b) {
            begin(stream(b.dataset(), b.job()), b.epoch());
        } else if (c instanceof Control.End e) {
            Stream s = existingStream(e.dataset(), e.job());
            if (s != null && s.inEpoch) {
                endEpoch(s, CloseReason.END_HINT);
            }
        } else if (c instanceof Control.Size z) {
            if (z.bytes() > 0) {
                datasetSizes.put(z.dataset(), z.bytes());
            } else {
                datasetSizes.remove(z.dataset());
            }
        } else if (c instanceof Control.Flush f) {
            long now = clock.nanos();
            housekeeping(now);
            for (Stream s : allStreams()) {
                writeBatch(s, true, now);
                if (s.file != null) {
                    try {
                        s.file.force();
                        s.forcedAtNanos = now;
                    } catch (IOException e) {
                        abandon(s, e);
                    }
                }
            }
            f.done().complete(null);
        }
    }

    private void process(int i) {
        Stream s = stream(ring.dataset[i], ring.job[i]);
        long t = ring.time[i];
        if (s.inEpoch && s.hasReads && t - s.lastReadNanos >= idleGapNanos) {
            idle(s);
        }
        if (!s.inEpoch) {
            s.inEpoch = true;
            s.hinted = false;
            s.epoch = ++s.lastEpoch;
            s.bytes = 0;
            s.hasReads = false;
        }
        if (s.file == null && !open(s, t)) {
            failed++;
        } else {
            EpochFileWriter f = requireNonNull(s.file, "open() sets the stream's file");
            f.append(ring, i);
            if (f.full()) {
                writeBatch(s, false, t);
            }
        }
        s.bytes += ring.length[i];
        s.hasReads = true;
        s.lastReadNanos = Math.max(s.lastReadNanos, t);
        if (!s.hinted) {
            Long size = datasetSizes.get(s.dataset);
            if (size != null && s.bytes >= size) {
                endEpoch(s, CloseReason.COVERAGE);
            }
        }
    }

    private void begin(Stream s, int epoch) {
        if (s.inEpoch && s.epoch == epoch) {
            s.hinted = true; // adopt the inferred epoch the hint names, or repeat of the same hint
            return;
        }
        if (s.inEpoch) {
            endEpoch(s, CloseReason.BEGIN_HINT);
        }
        s.inEpoch = true;
        s.hinted = true;
        s.epoch = epoch;
        s.lastEpoch = Math.max(s.lastEpoch, epoch);
        s.bytes = 0;
        s.hasReads = false;
    }

    /** No read for the idle gap: an inferred epoch ends; a hinted one only has its file closed. */
    private void idle(Stream s) {
        if (s.hinted) {
            closeFile(s, CloseReason.IDLE);
        } else {
            endEpoch(s, CloseReason.IDLE);
        }
    }

    private void endEpoch(Stream s, CloseReason reason) {
        closeFile(s, reason);
        s.inEpoch = false;
        s.hinted = false;
        s.bytes = 0;
        s.hasReads = false;
    }

    private boolean open(Stream s, long now) {
        if (now < s.retryAfterNanos) {
            return false;
        }
        Path path = null;
        try {
            Files.createDirectories(s.dir);
            for (int part = 1; ; part++) {
                path = s.dir.resolve(TracePaths.fileName(s.epoch, part));
                if (Files.exists(path)) {
                    continue;
                }
                try {
                    s.file = new EpochFileWriter(path, allocator, s.dataset, s.job, s.epoch, part, s.hinted,
                            config.fsync(), config.batchRows());
                    break;
                } catch (FileAlreadyExistsException raced) {
                    // someone else created it: next part
                }
            }
            openFiles++;
            bytesWritten += s.file.size();
            s.forcedAtNanos = now;
            return true;
        } catch (IOException | RuntimeException e) {
            IOException io = e instanceof IOException x ? x : new IOException(e);
            writeError(s, path == null ? s.dir : path, io, now);
            return false;
        }
    }

    /**
     * Writes the stream's pending batch. It is forced to the device (fsync on) when {@code force}, or when the
     * last force is a flush interval old: a busy stream writes many full batches a second but forces about once a
     * second, a quiet one forces each timed batch.
     */
    private void writeBatch(Stream s, boolean force, long now) {
        EpochFileWriter f = s.file;
        if (f == null || f.pendingRows() == 0) {
            return;
        }
        long before = f.size();
        int rows = f.pendingRows();
        boolean doForce = force || now - s.forcedAtNanos >= flushNanos;
        try {
            f.writeBatch(doForce);
            if (doForce) {
                s.forcedAtNanos = now;
            }
            written += rows;
            bytesWritten += f.size() - before;
        } catch (IOException | RuntimeException e) {
            failed += rows;
            IOException io = e instanceof IOException x ? x : new IOException(e);
            abandon(s, io);
        }
    }

    private void closeFile(Stream s, CloseReason reason) {
        EpochFileWriter f = s.file;
        if (f == null) {
            return;
        }
        long before = f.size();
        int rows = f.pendingRows();
        try {
            f.finish();
            written += rows;
            bytesWritten += f.size() - before;
            s.file = null;
            openFiles--;
            filesClosed++;
            retentionDue = true;
            notifyClosed(s, f, reason);
        } catch (IOException | RuntimeException e) {
            failed += rows;
            s.file = null;
            openFiles--;
            IOException io = e instanceof IOException x ? x : new IOException(e);
            writeError(s, f.path(), io, clock.nanos());
            notifyClosed(s, f, CloseReason.WRITE_ERROR);
        }
    }

    private void abandon(Stream s, IOException e) {
        EpochFileWriter f = requireNonNull(s.file, "the stream has a file open");
        failed += f.pendingRows();
        f.abandon();
        s.file = null;
        openFiles--;
        writeError(s, f.path(), e, clock.nanos());
        notifyClosed(s, f, CloseReason.WRITE_ERROR);
    }

    private void writeError(Stream s, Path path, IOException e, long now) {
        s.retryAfterNanos = now + flushNanos;
        LOG.warn("trace writer: cannot write {}: {} (records of {}/{} are lost until a retry in {} ms succeeds)",
                path, e.toString(), s.dataset, s.job, flushNanos / 1_000_000);
        try {
            listener.onWriteError(path, e);
        } catch (RuntimeException le) {
            LOG.warn("trace listener failed", le);
        }
    }

    private void notifyClosed(Stream s, EpochFileWriter f, CloseReason reason) {
        Path datasetDir = requireNonNull(s.dir.getParent(), "a stream's folder is in its dataset's folder");
        TraceFile tf = new TraceFile(datasetDir.getFileName().toString(), s.dir.getFileName().toString(),
                f.epoch(), f.part(), f.path(), f.size());
        try {
            listener.onFileClosed(tf, reason);
        } catch (RuntimeException e) {
            LOG.warn("trace listener failed", e);
        }
    }

    private void housekeeping(long now) {
        for (Stream s : allStreams()) {
            if (s.inEpoch && s.hasReads && now - s.lastReadNanos >= idleGapNanos && (s.file != null || !s.hinted)) {
                idle(s);
            }
            if (s.file != null && s.file.pendingRows() > 0 && now - s.file.firstPendingNanos() >= flushNanos) {
                writeBatch(s, false, now);
            }
        }
        long dropped = ring.dropped();
        if (dropped != reportedDropped) {
            long delta = dropped - reportedDropped;
            reportedDropped = dropped;
            try {
                listener.onDropped(delta, dropped);
            } catch (RuntimeException e) {
                LOG.warn("trace listener failed", e);
            }
        }
        if (retentionDue || now - nextRetentionNanos >= 0) {
            retentionDue = false;
            nextRetentionNanos = now + RETENTION_PERIOD_NANOS;
            retention();
        }
    }

    private void retention() {
        Set<Path> open = new HashSet<>();
        for (Stream s : allStreams()) {
            if (s.file != null) {
                open.add(s.file.path());
            }
        }
        try {
            filesDeleted += Retention.enforce(tracesDir, config.retentionBytes(), open);
        } catch (IOException | RuntimeException e) {
            LOG.warn("trace retention failed: {}", e.toString());
        }
    }

    private void shutdown() {
        // records that raced with close(): accepted after the shutdown stamp, never written
        for (int i = ring.peek(); i >= 0; i = ring.peek()) {
            ring.release(i);
            ring.countDropped();
        }
        for (Stream s : allStreams()) {
            if (s.file != null) {
                closeFile(s, CloseReason.SHUTDOWN);
            }
        }
        retention();
        Control c;
        while ((c = controls.poll()) != null) {
            if (c instanceof Control.Flush f) {
                f.done().complete(null);
            }
        }
    }

    private void failControls(Throwable t) {
        Control c;
        while ((c = controls.poll()) != null) {
            if (c instanceof Control.Flush f) {
                f.done().completeExceptionally(t);
            }
        }
    }

    private Stream stream(String dataset, String job) {
        Map<String, Stream> byJob = streams.get(dataset);
        if (byJob == null) {
            byJob = new HashMap<>();
            streams.put(dataset, byJob);
        }
        Stream s = byJob.get(job);
        if (s == null) {
            Path dir = TracePaths.streamDir(tracesDir, dataset, job);
            int last;
            try {
                last = TracePaths.maxEpoch(dir);
            } catch (IOException e) {
                LOG.warn("trace writer: cannot list {}: {}", dir, e.toString());
                last = -1;
            }
            s = new Stream(dataset, job, dir, last);
            byJob.put(job, s);
        }
        return s;
    }

    private @Nullable Stream existingStream(String dataset, String job) {
        Map<String, Stream> byJob = streams.get(dataset);
        return byJob == null ? null : byJob.get(job);
    }

    private List<Stream> allStreams() {
        List<Stream> out = new ArrayList<>();
        for (Map<String, Stream> byJob : streams.values()) {
            out.addAll(byJob.values());
        }
        return out;
    }

    long written() {
        return written;
    }

    long failed() {
        return failed;
    }

    long bytesWritten() {
        return bytesWritten;
    }

    int openFiles() {
        return openFiles;
    }

    long filesClosed() {
        return filesClosed;
    }

    long filesDeleted() {
        return filesDeleted;
    }

    @Nullable Throwable died() {
        return died;
    }
}
