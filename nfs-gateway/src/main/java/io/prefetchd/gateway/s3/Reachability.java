package io.prefetchd.gateway.s3;

import io.prefetchd.gateway.s3.ObjectStoreException.Kind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

import static java.util.Objects.requireNonNull;

/**
 * A circuit breaker for one object store: whether it answers at all, so that a dead endpoint costs each
 * caller milliseconds instead of every retry's timeout.
 *
 * <p><b>When it opens.</b> The store is <em>unreachable</em> when a request fails without any answer from it
 * after all its attempts (connection refused or reset, connect or read timeouts), or when requests have been
 * waiting longer than {@code silence} while nothing at all (no response header, no error status) came back in
 * that time: a blackholed endpoint accepts connections and never answers, and a watchdog {@link #check} catches
 * that long before the SDK's own retries give up. Any answer, an error status included, means reachable: a 503
 * or a 404 is the store talking. A request the store works on for a while before its first byte (assembling a
 * multipart upload, copying an object) is admitted with a longer patience, and counts as silent only after it.
 *
 * <p><b>While open.</b> {@link #admit} refuses every request at once with {@link Kind#UNREACHABLE}, and the
 * requests that were waiting when it opened are failed the same way. The owner probes the store every
 * probe interval with a request that bypasses the breaker ({@link #probeSucceeded}); the first answer
 * closes the breaker. Opening and closing are logged once each.
 *
 * <p>Thread-safe: state changes are synchronized on this object; the pending map is concurrent.
 */
public final class Reachability {
    private static final Logger LOG = LoggerFactory.getLogger(Reachability.class);

    /** What callers and {@code /status} see. */
    public record State(boolean reachable, Duration unreachableFor, String lastError, long refused) {
    }

    private final String bucket;
    private final String endpoint;
    private final Duration silence;
    private final LongSupplier nanos;
    private final Map<CompletableFuture<?>, Waiting> pending = new ConcurrentHashMap<>();
    private volatile long lastAnswerNanos;
    private volatile boolean open;
    private long openedNanos;          // guarded by this
    private String lastError = "";     // guarded by this
    private long refused;              // guarded by this

    /**
     * @param bucket the bucket, for the messages of refused requests
     * @param endpoint what to name in log lines, e.g. {@code s3://bucket at http://host:9000}
     * @param silence how long requests may wait with no answer from the store before it counts as unreachable
     * @param nanos monotonic time ({@code System::nanoTime}; tests pass a manual clock)
     */
    public Reachability(String bucket, String endpoint, Duration silence, LongSupplier nanos) {
        this.bucket = requireNonNull(bucket, "bucket is null");
        this.endpoint = requireNonNull(endpoint, "endpoint is null");
        this.silence = requireNonNull(silence, "silence is null");
        this.nanos = requireNonNull(nanos, "nanos is null");
        this.lastAnswerNanos = nanos.getAsLong();
    }

    /**
     * Lets a request go (and watches {@code result} until it completes), or refuses it while the store is
     * unreachable.
     *
     * @throws ObjectStoreException {@link Kind#UNREACHABLE} while the breaker is open
     */
    public void admit(CompletableFuture<?> result, String key, String what) {
        admit(result, key, what, Duration.ZERO);
    }

    /**
     * Like {@link #admit(CompletableFuture, String, String)}, for a request the store may work on for up to
     * {@code patience} before it answers: the watchdog counts it as unanswered only after {@code silence} and that.
     */
    public void admit(CompletableFuture<?> result, String key, String what, Duration patience) {
        if (open) {
            String message;
            synchronized (this) {
                refused++;
                message = what + " not sent: S3 has not answered for " + seconds(nanos.getAsLong() - openedNanos)
                        + " s (" + lastError + ")";
            }
            throw new ObjectStoreException(Kind.UNREACHABLE, bucket, key, message);
        }
        long now = nanos.getAsLong();
        pending.put(result, new Waiting(now, now + silence.toNanos() + patience.toNanos()));
        result.whenComplete((v, t) -> pending.remove(result));
    }

    /** The store answered something (a response, or an error status): it is reachable. */
    public void answered() {
        lastAnswerNanos = nanos.getAsLong();
    }

    /** A request failed with no answer from the store after all its attempts: the breaker opens. */
    public void failedWithoutAnswer(String error) {
        trip(error);
    }

    /**
     * The watchdog: opens the breaker when some request has waited longer than its patience ({@code silence}
     * unless admitted with more) and nothing came back from the store for {@code silence}. Called periodically by
     * the owner.
     */
    public void check() {
        long now = nanos.getAsLong();
        if (open || now - lastAnswerNanos < silence.toNanos()) {
            return;
        }
        long oldest = Long.MAX_VALUE;
        for (Waiting w : pending.values()) {
            if (now - w.deadline() >= 0) {
                oldest = Math.min(oldest, w.started());
            }
        }
        if (oldest != Long.MAX_VALUE) {
            trip("no answer to " + pending.size() + " requests for " + seconds(now - oldest) + " s");
        }
    }

    /** A probe got an answer: the breaker closes. */
    public void probeSucceeded() {
        answered();
        synchronized (this) {
            if (!open) {
                return;
            }
            open = false;
            LOG.warn("S3 is reachable again: {} answered after {} s; {} requests were refused meanwhile", endpoint,
                    seconds(nanos.getAsLong() - openedNanos), refused);
        }
    }

    public boolean isOpen() {
        return open;
    }

    public synchronized State state() {
        return new State(!open, open ? Duration.ofNanos(nanos.getAsLong() - openedNanos) : Duration.ZERO, lastError,
                refused);
    }

    private void trip(String error) {
        List<CompletableFuture<?>> waiting;
        synchronized (this) {
            lastError = error;
            if (open) {
                return;
            }
            open = true;
            openedNanos = nanos.getAsLong();
            LOG.warn("S3 is unreachable: {} did not answer ({}). Cached data stays readable; requests that need "
                    + "S3 fail at once (NFS4ERR_IO) until it answers again", endpoint, error);
            waiting = new ArrayList<>(pending.keySet());
        }
        ObjectStoreException e = new ObjectStoreException(Kind.UNREACHABLE, bucket, "",
                "abandoned: S3 stopped answering (" + error + ")");
        for (CompletableFuture<?> f : waiting) {
            f.completeExceptionally(e);
        }
    }

    /** A request admitted at {@code started} that counts as unanswered from {@code deadline} (both in nanos). */
    private record Waiting(long started, long deadline) {
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1e9);
    }
}
