package io.prefetchd.gateway.daemon;

import io.prefetchd.gateway.s3.ObjectStore;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * Whether the gateway is ready to serve ({@code GET /ready}): the cache is open (it is, once a {@link Gateway}
 * exists) and S3 has answered a listing of the export once. Until then a probe runs with a growing pause (1 s
 * doubling to 30 s) and the last failure is the reason given.
 *
 * <p>Once ready, the gateway stays ready: a later S3 outage shows in {@code /status} and the S3 metrics, but
 * does not take the gateway out of a load balancer or Service, because cached files stay readable and NFS clients
 * would otherwise lose their server over a blip of the store. Thread-safe.
 */
public final class Readiness implements AutoCloseable {
    static final Duration FIRST_PAUSE = Duration.ofSeconds(1);
    static final Duration MAX_PAUSE = Duration.ofSeconds(30);

    private final ObjectStore store;
    private final String prefix;
    private final ScheduledExecutorService executor;
    private volatile @Nullable String notReady = "S3 has not answered yet";
    private Duration pause = FIRST_PAUSE; // confined to the executor's thread

    /**
     * @param prefix   the export's key prefix (normalized), listed with at most one key
     * @param executor runs the probes; owned by this object from now on
     */
    Readiness(ObjectStore store, String prefix, ScheduledExecutorService executor) {
        this.store = requireNonNull(store, "store is null");
        this.prefix = requireNonNull(prefix, "prefix is null");
        this.executor = requireNonNull(executor, "executor is null");
    }

    /** Starts probing now. */
    Readiness start() {
        executor.execute(this::probeAndReschedule);
        return this;
    }

    /** Null when ready, else why not, in one line. */
    public @Nullable String notReadyReason() {
        return notReady;
    }

    /** One probe: a listing of at most one key under the export's prefix. True when S3 answered it. */
    boolean probe() {
        if (notReady == null) {
            return true;
        }
        try {
            store.list(prefix, "/", null, 1);
            notReady = null;
            return true;
        } catch (RuntimeException e) {
            notReady = "S3 has not answered a listing of s3://" + store.bucket() + "/" + prefix + ": "
                    + StartupException.rootMessage(e);
            return false;
        }
    }

    private void probeAndReschedule() {
        if (!probe() && !executor.isShutdown()) {
            executor.schedule(this::probeAndReschedule, pause.toMillis(), TimeUnit.MILLISECONDS);
            pause = pause.multipliedBy(2).compareTo(MAX_PAUSE) > 0 ? MAX_PAUSE : pause.multipliedBy(2);
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
