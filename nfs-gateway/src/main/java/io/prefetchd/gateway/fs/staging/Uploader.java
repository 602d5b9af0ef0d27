package io.prefetchd.gateway.fs.staging;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.prefetchd.gateway.fs.Owner;
import io.prefetchd.gateway.s3.ObjectMeta;
import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.s3.ObjectStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * Turns staged files into objects. {@link #runDue} (called every few hundred milliseconds, or by a test) starts
 * the uploads that are due, up to {@code uploadConcurrency} at once: a closed file {@code uploadDelay} after its last
 * write (at once when its parts went up while it was written, {@link StagedFile#closeDelay}), a file held open
 * {@code commitQuiet} after its last write once it was committed, and any file {@link #ABANDONED} after its last
 * write. A failed upload is tried again after a backoff that doubles up to {@code maxBackoff}, forever: the staged
 * file stays until S3 has it.
 *
 * <p>A file whose parts went up while it was written ({@link StreamingUpload}) completes that multipart upload,
 * sending only what S3 does not hold as it is; any other file is uploaded whole from staging.
 *
 * <p><b>Renamed while uploading.</b> A file renamed while its bytes went up (a streamed upload under the name it
 * had, or a whole upload already sent), and not changed otherwise, is not uploaded again: the object is copied
 * server-side to its new name and deleted under the old one ({@link Outcome#moved}). Only when that copy fails is
 * the file uploaded again under its new name.
 *
 * <p><b>Conditional writes.</b> A new file is uploaded with If-None-Match, a changed object with If-Match of the
 * version it was staged from. When S3 refuses (someone else wrote the object meanwhile), the gateway's version is
 * uploaded anyway, unconditionally: last close wins, and the conflict is logged and counted.
 *
 * <p><b>One upload per key.</b> An upload holds the keys it may land under (and, for its server-side copy, the new
 * name) from its start until its bookkeeping ended ({@link UploadTargets}); a due file whose key another file's
 * upload holds waits for the next call.
 *
 * <p>Thread-safe: per-file upload state is the {@link StagedFile}'s. What follows an upload (journal, read cache,
 * namespace) runs on {@code completions}, never on the store's own threads, which it could otherwise hold up; only
 * the record that an upload landed ({@link StagingArea#landed}) is made on the thread that completes it, as it
 * lands, which for a file renamed or removed meanwhile forces the journal.
 */
final class Uploader {
    private static final Logger LOG = LoggerFactory.getLogger(Uploader.class);
    /**
     * A file neither closed nor committed is uploaded once nobody wrote it for this long: its writer may have died
     * without closing it (a client that comes back writes it again, and it is uploaded again).
     */
    static final Duration ABANDONED = Duration.ofMinutes(10);

    /** What becomes of an upload. */
    interface Outcome {
        /**
         * S3 has what {@code snapshot} sent, and the file held exactly that under that name when the upload ended:
         * the object answers for the name and the staged file goes, if it still holds that now. Returns whether it
         * went (a write, change or rename may land first).
         */
        boolean uploaded(StagedFile file, StagedFile.Snapshot snapshot, ObjectMeta object);

        /** S3 has an older version, or one under a name the file no longer has. */
        void superseded(StagedFile file, StagedFile.Snapshot snapshot, ObjectMeta object);

        /**
         * S3 has exactly the file's current bytes, but under the name it had when they were sent ({@code sent});
         * {@code now} is the file as it is. Returns the object copied to the file's name now, the old one deleted,
         * or null when it could not be (the file is then uploaded again).
         */
        @Nullable ObjectMeta moved(StagedFile file, StagedFile.Snapshot sent, StagedFile.Snapshot now,
                                   ObjectMeta object);
    }

    private final StagingArea area;
    private final ObjectStore store;
    private final Function<String, String> keyOf;
    private final StagingSettings settings;
    private final Owner defaultOwner;
    private final Clock clock;
    private final Outcome outcome;
    private final Executor completions;
    private final UploadTargets targets;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Object idle = new Object();   // what awaitIdle waits on
    private int active;   // uploads started whose bookkeeping has not ended yet; guarded by idle
    private boolean stopped;   // guarded by this, so that stop() returns only after a runDue() in progress
    private final Counter uploads;
    private final Counter uploadedBytes;
    private final Counter failures;
    private final Counter conflicts;
    private final Counter moves;
    private volatile String lastError = "";
    private volatile @Nullable Instant lastErrorAt;

    Uploader(StagingArea area, ObjectStore store, Function<String, String> keyOf, StagingSettings settings,
             Owner defaultOwner, Clock clock, Outcome outcome, Executor completions, UploadTargets targets,
             MeterRegistry meters) {
        this.area = requireNonNull(area, "area is null");
        this.store = requireNonNull(store, "store is null");
        this.keyOf = requireNonNull(keyOf, "keyOf is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.defaultOwner = requireNonNull(defaultOwner, "defaultOwner is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.outcome = requireNonNull(outcome, "outcome is null");
        this.completions = requireNonNull(completions, "completions is null");
        this.targets = requireNonNull(targets, "targets is null");
        this.uploads = Counter.builder("prefetchd.uploads").description("staged files uploaded to S3")
                .register(meters);
        this.uploadedBytes = Counter.builder("prefetchd.upload.bytes").baseUnit("bytes")
                .description("bytes of staged files uploaded to S3").register(meters);
        this.failures = Counter.builder("prefetchd.upload.failures")
                .description("uploads of staged files that failed (each is tried again)").register(meters);
        this.conflicts = Counter.builder("prefetchd.upload.conflicts")
                .description("uploads whose object was changed in S3 by someone else meanwhile (last close wins)")
                .register(meters);
        this.moves = Counter.builder("prefetchd.upload.moved")
                .description("uploads that ended under a name their file no longer had (renamed meanwhile), copied "
                        + "server-side to its new name instead of uploaded again")
                .register(meters);
    }

    /**
     * Starts every upload that is due, as many as the concurrency allows. One whose key another file's upload holds
     * (see {@link UploadTargets}) stays due and starts at a later call, once that upload is over.
     */
    synchronized void runDue() {
        if (stopped) {
            return;
        }
        Instant now = clock.instant();
        for (StagedFile f : area.all()) {
            if (inFlight.get() >= settings.uploadConcurrency()) {
                return;
            }
            Duration abandoned = ABANDONED.compareTo(settings.commitQuiet()) < 0 ? settings.commitQuiet() : ABANDONED;
            StagedFile.Snapshot s = f.startUploadIfDue(now, f.closeDelay(settings.uploadDelay()),
                    settings.commitQuiet(), abandoned);
            if (s == null) {
                continue;
            }
            List<String> keys = new ArrayList<>(2);
            keys.add(keyOf.apply(s.path()));
            StreamingUpload streamed = f.streaming;
            String streamedPath = streamed == null ? null : streamed.begunPath();
            if (streamedPath != null) {   // completed under the name it began with, if renamed since
                keys.add(keyOf.apply(streamedPath));
            }
            UploadTargets.Claim claim = targets.claim(f, keys);
            if (claim == null) {
                f.notStarted(s, now);
                continue;
            }
            start(f, s, claim);
        }
    }

    int inFlight() {
        return inFlight.get();
    }

    /** No upload starts from now on: the gateway is stopping, and what is staged goes up at the next start. */
    synchronized void stop() {
        stopped = true;
    }

    /**
     * Waits until every upload started has ended and its bookkeeping is done, or until {@code timeout} has passed;
     * returns how many are still going on.
     */
    int awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (idle) {
            while (active > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                TimeUnit.NANOSECONDS.timedWait(idle, left);
            }
            return active;
        }
    }

    private void changeActive(int by) {
        synchronized (idle) {
            active += by;
            idle.notifyAll();
        }
    }

    /** The last upload failure's message, "" when none failed yet. */
    String lastError() {
        return lastError;
    }

    @Nullable Instant lastErrorAt() {
        return lastErrorAt;
    }

    private void start(StagedFile f, StagedFile.Snapshot s, UploadTargets.Claim claim) {
        inFlight.incrementAndGet();
        changeActive(1);
        boolean conditional = f.conditional;
        String baseEtag = f.baseEtag;
        Owner owner = f.owner() != null ? f.owner() : defaultOwner;
        Map<String, String> metadata = ObjectAttributes.metadata(owner, f.mtime(), false);
        long size = f.size();
        CompletableFuture<ObjectMeta> upload;
        String sentAs = s.path();   // the name the upload goes to
        try {
            boolean ifNoneMatch = conditional && baseEtag == null;
            String ifMatch = conditional ? baseEtag : null;
            StreamingUpload streamed = f.streaming;
            StreamingUpload.Finishing finishing = streamed == null ? null
                    : streamed.finish(s.path(), size, metadata, ifNoneMatch, ifMatch);
            if (finishing != null) {
                upload = finishing.object();
                sentAs = finishing.path();
            } else {
                upload = store.upload(keyOf.apply(s.path()), f.file, metadata, ifNoneMatch, ifMatch);
            }
        } catch (RuntimeException e) {
            upload = CompletableFuture.failedFuture(e);
        }
        StagedFile.Snapshot sent = new StagedFile.Snapshot(sentAs, s.generation(), s.renames());
        upload.whenComplete((meta, error) -> {   // as it lands: the bookkeeping below may wait for its thread
            if (error == null && meta != null) {
                try {
                    area.landed(f, sent.path(), meta.key(), meta.etag());
                } catch (RuntimeException e) {
                    LOG.error("after the upload of /{} landed: {}", sent.path(), e.toString(), e);
                }
            }
        }).whenCompleteAsync((meta, error) -> {
            inFlight.decrementAndGet();
            try {
                finish(f, s, sent, meta, error, conditional, size, claim);
            } catch (RuntimeException | Error e) {   // nothing else would see it: the future this runs in is dropped
                LOG.error("after the upload of /{}: {}", s.path(), e.toString(), e);
            } finally {
                targets.release(claim);
                changeActive(-1);
            }
        }, completions);
    }

    /**
     * The upload of {@code s}, sent as {@code sent} (under another name when its streamed upload began before a
     * rename), ended as {@code meta} or {@code error}.
     */
    private void finish(StagedFile f, StagedFile.Snapshot s, StagedFile.Snapshot sent, ObjectMeta meta,
                        Throwable error, boolean conditional, long size, UploadTargets.Claim claim) {
        Instant now = clock.instant();
        if (error != null) {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause()
                    : error;
            boolean changed = cause instanceof ObjectStoreException e && e.kind() == ObjectStoreException.Kind.CHANGED;
            if (changed && !f.gone() && !sent.path().equals(s.path())) {
                LOG.info("/{} was renamed from /{} while its parts went up, and S3 has an object under the old name "
                        + "now: it is uploaded whole under its new name", s.path(), sent.path());
                f.uploadEnded(s, null, null, now);
                f.closed(now);
                return;
            }
            if (conditional && changed && !f.gone()) {
                conflicts.increment();
                LOG.warn("/{} was changed in S3 by someone else while it was written through the gateway; last "
                        + "close wins: the gateway's version replaces it", s.path());
                f.conditional = false;
                f.uploadEnded(s, null, null, now);
                f.closed(now);
                return;
            }
            if (f.gone()) {
                f.uploadEnded(s, cause.toString(), now, now);
                return;   // removed while it was uploading: nothing to retry
            }
            failures.increment();
            int failed = f.failures() + 1;
            // While S3 is unreachable the circuit breaker fails an attempt without sending anything, so retrying
            // at the shortest wait costs nothing, and the upload resumes within that wait of S3's return however
            // long the outage lasted (a doubled backoff would leave it waiting up to maxBackoff more).
            boolean unreachable = cause instanceof ObjectStoreException u
                    && u.kind() == ObjectStoreException.Kind.UNREACHABLE;
            Duration backoff = unreachable ? settings.minBackoff() : backoff(failed);
            // a null error means success to the staged file: a failure without a message is named by its type
            String message = cause.getMessage() != null ? cause.getMessage() : cause.toString();
            lastError = "/" + s.path() + ": " + message;
            lastErrorAt = now;
            if (failed == 1 || !unreachable && failed % 10 == 0) {
                LOG.warn("upload of /{} ({} bytes) failed ({} time{}); it stays staged and is tried again in {} s: {}",
                        s.path(), size, failed, failed == 1 ? "" : "s", backoff.toSeconds(), message);
            }
            f.uploadEnded(s, message, now.plus(backoff), now);
            return;
        }
        uploads.increment();
        uploadedBytes.increment(size);
        if (f.failures() > 0) {
            LOG.info("upload of /{} succeeded after {} failures", s.path(), f.failures());
        }
        // The upload ends only after the bookkeeping: until then no other upload of the file starts, and a write
        // meanwhile makes the file stay staged (the bookkeeping checks under its monitor) and go up again after.
        StagedFile.Snapshot ended = sent;
        ObjectMeta object = meta;
        boolean retired = false;
        try {
            StagedFile.Snapshot renamed = f.unchangedSince(sent);
            // a copy onto a name another file's upload holds waits too: the file goes up again under it later
            if (renamed != null && !renamed.path().equals(sent.path())
                    && targets.add(claim, keyOf.apply(renamed.path()))) {
                ObjectMeta copied = outcome.moved(f, sent, renamed, meta);
                if (copied != null) {
                    moves.increment();
                    ended = renamed;
                    object = copied;
                }
            }
            retired = ended.equals(f.unchangedSince(ended)) && outcome.uploaded(f, ended, object);
        } finally {   // never left uploading, whatever was thrown
            try {
                if (!retired) {   // before the upload ends: a next upload must find the version it replaces
                    outcome.superseded(f, ended, object);
                }
            } finally {
                area.bookkeepingEnded(f);
                if (f.uploadEnded(ended, null, null, now) && !retired) {
                    f.retryAt(now.plus(settings.minBackoff()));   // unchanged, but its bookkeeping failed
                }
            }
        }
    }

    /** The wait after the {@code failed}-th failure in a row: minBackoff doubled each time, at most maxBackoff. */
    Duration backoff(int failed) {
        Duration d = settings.minBackoff();
        for (int i = 1; i < failed && d.compareTo(settings.maxBackoff()) < 0; i++) {
            d = d.multipliedBy(2);
        }
        return d.compareTo(settings.maxBackoff()) > 0 ? settings.maxBackoff() : d;
    }
}
