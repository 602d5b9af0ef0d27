package io.prefetchd.tracer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The {@link AccessTracer}: the read path's side of the ring buffer, plus the control queue to the writer.
 *
 * <h2>Design</h2>
 * {@link #record} reads the clock, checks its arguments and offers the fields to the {@link RecordRing}: no lock,
 * no allocation, no I/O, no wake-up of the writer. Everything else (hints, sizes, flush, close) is rare, so it
 * goes through a lock-protected stamp: under {@link #lock}, the event is stamped with the ring's current tail and
 * appended to {@link #controls}. Stamps are therefore non-decreasing in queue order, and the writer applies an
 * event exactly between the records accepted before it and those accepted after it. The lock also orders
 * {@link #close()} against the others: nothing is queued after the shutdown event.
 *
 * <p>Thread-safety: all public methods from any thread.
 */
final class DefaultAccessTracer implements AccessTracer {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultAccessTracer.class);

    private final TracerConfig config;
    private final NanoClock clock;
    private final RecordRing ring;
    private final ConcurrentLinkedQueue<Control> controls = new ConcurrentLinkedQueue<>();
    private final TraceWriter writer;
    private final Object lock = new Object();
    private volatile boolean closed;

    private DefaultAccessTracer(TracerConfig config, NanoClock clock, TracerListener listener) {
        this.config = config;
        this.clock = clock;
        this.ring = new RecordRing(config.bufferCapacity());
        this.writer = new TraceWriter(config, clock, ring, controls, listener);
    }

    static DefaultAccessTracer start(TracerConfig config, NanoClock clock, Executor executor,
                                     TracerListener listener) {
        ArrowAccess.check();
        try {
            Files.createDirectories(config.tracesDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the traces folder " + config.tracesDir(), e);
        }
        DefaultAccessTracer t = new DefaultAccessTracer(config, clock, listener);
        executor.execute(t.writer);
        return t;
    }

    @Override
    public void record(String dataset, String job, int rank, long clientId, String clientAddress, String objectKey,
                       String etag, long fileId, long sample, long offset, int length, Outcome outcome,
                       long s3WaitNanos) {
        Objects.requireNonNull(dataset, "dataset is null");
        Objects.requireNonNull(job, "job is null");
        Objects.requireNonNull(outcome, "outcome is null");
        if ((offset | length | s3WaitNanos) < 0) {
            throw new IllegalArgumentException("negative offset, length or s3WaitNanos: " + offset + ", " + length
                    + ", " + s3WaitNanos);
        }
        if (rank < ReadRecord.UNKNOWN || sample < ReadRecord.UNKNOWN) {
            throw new IllegalArgumentException("rank and sample are -1 (unknown) or not negative: " + rank + ", "
                    + sample);
        }
        if (closed) {
            ring.countDropped();
            return;
        }
        ring.offer(clock.nanos(), dataset, job, rank, clientId, clientAddress, objectKey, etag, fileId, sample,
                offset, length, outcome, s3WaitNanos);
    }

    @Override
    public void beginEpoch(String dataset, String job, int epoch) {
        Objects.requireNonNull(dataset, "dataset is null");
        Objects.requireNonNull(job, "job is null");
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must not be negative: " + epoch);
        }
        synchronized (lock) {
            if (!closed) {
                controls.add(new Control.Begin(ring.claimed(), dataset, job, epoch));
            }
        }
    }

    @Override
    public void endEpoch(String dataset, String job) {
        Objects.requireNonNull(dataset, "dataset is null");
        Objects.requireNonNull(job, "job is null");
        synchronized (lock) {
            if (!closed) {
                controls.add(new Control.End(ring.claimed(), dataset, job));
            }
        }
    }

    @Override
    public void datasetSize(String dataset, long bytes) {
        Objects.requireNonNull(dataset, "dataset is null");
        if (bytes < 0) {
            throw new IllegalArgumentException("dataset size must not be negative: " + bytes);
        }
        synchronized (lock) {
            if (!closed) {
                controls.add(new Control.Size(ring.claimed(), dataset, bytes));
            }
        }
    }

    @Override
    public CompletableFuture<Void> flush() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        synchronized (lock) {
            if (closed) {
                done.complete(null);
                return done;
            }
            Throwable died = writer.died();
            if (died != null) {
                done.completeExceptionally(died);
                return done;
            }
            controls.add(new Control.Flush(ring.claimed(), done));
        }
        return done;
    }

    @Override
    public TracerStats stats() {
        return new TracerStats(ring.claimed(), ring.dropped(), writer.written(), writer.failed(), ring.size(),
                ring.capacity, writer.openFiles(), writer.filesClosed(), writer.filesDeleted(),
                writer.bytesWritten());
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (!closed) {
                closed = true;
                controls.add(new Control.Shutdown(ring.claimed()));
            }
        }
        try {
            writer.terminated.get(config.closeTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            // the writer died earlier; already logged
        } catch (TimeoutException e) {
            LOG.warn("trace writer did not finish within {}; open epoch files may lack their footer",
                    config.closeTimeout());
        }
    }
}
