package io.prefetchd.tracer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/** Test helpers: tracers on a manual clock with a real writer thread, and a few canned reads. */
final class Tracers {
    static final Duration IDLE = Duration.ofSeconds(60);

    private Tracers() {
    }

    static TracerConfig config(Path stateDir) {
        return TracerConfig.defaults(stateDir).withFsync(false).withIdleGap(IDLE);
    }

    /** Runs each task on a new daemon thread. */
    static final Executor THREADS = command -> {
        Thread t = new Thread(command, "test-tracer-writer");
        t.setDaemon(true);
        t.start();
    };

    /** Holds the writer task until {@link #release()}: a writer that has not started is a blocked writer. */
    static final class GatedExecutor implements Executor {
        private final CountDownLatch gate = new CountDownLatch(1);

        @Override
        public void execute(Runnable command) {
            THREADS.execute(() -> {
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                command.run();
            });
        }

        void release() {
            gate.countDown();
        }
    }

    /** Remembers closed files and their reasons. */
    static final class Recorder implements TracerListener {
        final List<String> closed = Collections.synchronizedList(new ArrayList<>());
        volatile long dropped;

        @Override
        public void onFileClosed(TraceFile file, CloseReason reason) {
            closed.add(file.path().getFileName() + ":" + reason);
        }

        @Override
        public void onDropped(long newlyDropped, long totalDropped) {
            dropped = totalDropped;
        }
    }

    /** A read of {@code length} bytes at {@code offset} of {@code key}, as a cache hit from client 7. */
    static void read(AccessTracer t, String dataset, String key, long offset, int length) {
        t.record(dataset, "job", 7, "10.0.0.7:811", key, "\"etag-" + key + "\"", key.hashCode(), offset, length,
                Outcome.CACHE_HIT, 0);
    }

    static void await(java.util.concurrent.CompletableFuture<?> f) throws Exception {
        f.get(20, TimeUnit.SECONDS);
    }
}
