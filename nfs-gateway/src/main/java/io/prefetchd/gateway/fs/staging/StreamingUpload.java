package io.prefetchd.gateway.fs.staging;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Owner;
import io.prefetchd.gateway.s3.ObjectMeta;
import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.s3.UploadSettings;
import io.prefetchd.gateway.s3.UploadedPart;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * The multipart upload of one staged file that runs while the file is still being written, so that a large file
 * written front to back (a checkpoint) is mostly in S3 when it is closed, and its upload after the close sends
 * only its tail.
 *
 * <p><b>When a part goes.</b> The file is cut into parts of {@code partSize} bytes; part {@code k} holds bytes
 * {@code [k * partSize, (k + 1) * partSize)}. A part is sent once at least {@code partSize} bytes were written into
 * it since it was last sent and the file already reaches a whole part beyond it: the writer has moved on (a
 * client's WRITEs arrive a few out of order, never a part apart). The first part to go begins the multipart upload.
 * These are only guesses of when a part's bytes are final: correctness never depends on them (below).
 *
 * <p><b>Versions.</b> Every change of a part's bytes (a write, a truncate or extension across it) bumps its version,
 * under the staged file's lock, with the change. A part is read from the staged file under that lock together with
 * its version, so a part in S3 is known to hold exactly the file's bytes at that version.
 *
 * <p><b>Finishing.</b> When the file's upload is due (after the close), {@link #finish} waits for the parts in
 * flight, sends again every part whose version moved since it was sent or whose length differs in the final layout
 * (the last part, a truncated file), sends those never sent, and completes the upload with exactly the parts of the
 * final size. The object appears only then, whole; parts sent for bytes beyond the final size are left out of the
 * completion and discarded by the store. What this upload cannot carry on with (the file removed, its owner or mode
 * changed, grown past {@value UploadSettings#MAX_PARTS} parts, a failure in S3) aborts it, and the file is uploaded
 * the ordinary way from staging.
 *
 * <p><b>Renamed.</b> A multipart upload's key is fixed when it begins, and a checkpoint is usually written under a
 * temporary name and renamed into place right after its close. A file renamed while streamed keeps streaming under
 * the name it had: {@link #finish} completes the upload there, only if S3 has no object under that name (the
 * gateway deleted or never had one; anything there now is someone else's), and tells the caller where, which then
 * copies the object server-side to the file's new name ({@link Uploader}).
 *
 * <p><b>Durability.</b> A part in S3 acknowledges nothing to the client: no object exists before the completion,
 * and the staged file stays until the journal records the upload. The upload id is journaled (forced) before its
 * first part is sent, so that after a crash the next start aborts it; the file itself is then uploaded again from
 * the bytes staging holds, which are all that were acknowledged.
 *
 * <p><b>Memory.</b> A part in flight holds its bytes in a buffer off the heap ({@link PartBuffers}, kept from part
 * to part); the {@link Context#budget} shared by all files bounds the parts in flight, and so the buffers. A part
 * that finds no permit waits for a later write, or for {@link #finish}, which sends what is left through the buffers
 * on the permits free then, one part at a time on each ({@link PartsAtUpload}), or from the staged file without
 * holding bytes when none is.
 *
 * <p>Thread-safe: state guarded by this object's monitor, under which no other lock is taken and nothing is
 * called out. The staged file's monitor may be held when this one is taken ({@link #changed}), never the other
 * way round; {@link #advance}, {@link #finish} and {@link #stop} are called with no lock held.
 */
final class StreamingUpload {
    private static final Logger LOG = LoggerFactory.getLogger(StreamingUpload.class);

    /** What all streaming uploads share. */
    static final class Context {
        final ObjectStore store;
        final StagingArea area;
        final Function<String, String> keyOf;
        final long partSize;
        final Executor executor;
        final Semaphore budget;
        final PartBuffers buffers;
        final Owner defaultOwner;
        final Counter whileWriting;
        final Counter atUpload;
        final Counter abandoned;

        /**
         * @param partSize bytes per part, at least S3's 5 MiB minimum in production
         * @param budget permits for parts in flight, all files together
         * @param defaultOwner the owner uploads write for files that carry none
         * @param executor where parts are read and the upload's steps run (never an NFS worker)
         */
        Context(ObjectStore store, StagingArea area, Function<String, String> keyOf, long partSize, Semaphore budget,
                Owner defaultOwner, Executor executor, MeterRegistry meters) {
            this.store = requireNonNull(store, "store is null");
            this.area = requireNonNull(area, "area is null");
            this.keyOf = requireNonNull(keyOf, "keyOf is null");
            if (partSize < 1 || partSize > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("partSize out of range: " + partSize);
            }
            this.partSize = partSize;
            this.budget = requireNonNull(budget, "budget is null");
            this.buffers = new PartBuffers((int) partSize, budget.availablePermits());
            this.defaultOwner = requireNonNull(defaultOwner, "defaultOwner is null");
            this.executor = requireNonNull(executor, "executor is null");
            this.whileWriting = Counter.builder("prefetchd.upload.streamed.parts").tag("when", "while_writing")
                    .description("parts of multipart uploads sent while their file was still being written")
                    .register(meters);
            this.atUpload = Counter.builder("prefetchd.upload.streamed.parts").tag("when", "at_upload")
                    .description("parts of streamed uploads sent when the upload was due: the tail, and parts "
                            + "changed after they were sent")
                    .register(meters);
            this.abandoned = Counter.builder("prefetchd.upload.streamed.abandoned")
                    .description("streamed uploads aborted (file removed, attributes changed, S3 "
                            + "failure); their files are uploaded whole after the close")
                    .register(meters);
        }
    }

    /** One part's state. */
    private static final class Part {
        long version;
        long fresh;          // bytes written into it since its last send began
        boolean inFlight;
        @Nullable UploadedPart sent;
        long sentVersion;
    }

    private final Context context;
    private final StagedFile file;
    private final List<Part> parts = new ArrayList<>();
    /** Parts written through since they were last sent: candidates for {@link #advance}. */
    private final TreeSet<Integer> ready = new TreeSet<>();
    /** Completed when no part is in flight any more; for {@link #finish}. */
    private final List<CompletableFuture<Void>> quiet = new ArrayList<>();
    private int sending;
    private long size;
    private @Nullable String key;
    private @Nullable String begunPath;            // the file's name when the upload began under key
    private @Nullable CompletableFuture<String> begun;
    private @Nullable Map<String, String> begunMetadata;
    private boolean finishing;
    private @Nullable String disabled;             // why this file streams no more, or null
    private boolean tooLarge;

    StreamingUpload(Context context, StagedFile file) {
        this.context = requireNonNull(context, "context is null");
        this.file = requireNonNull(file, "file is null");
    }

    /**
     * Bytes {@code [from, to)} changed and the file is {@code newSize} bytes now; {@code written} when they were
     * written, not cut off or added as a hole. Called under the staged file's monitor, with the change.
     */
    synchronized void changed(long from, long to, long newSize, boolean written) {
        size = newSize;
        if (from >= to) {
            return;
        }
        long p = context.partSize;
        if ((to - 1) / p >= UploadSettings.MAX_PARTS) {
            tooLarge = true;
        }
        long last = Math.min((to - 1) / p, UploadSettings.MAX_PARTS - 1);
        for (long k = from / p; k <= last; k++) {
            Part part = part((int) k);
            part.version++;
            if (written) {
                part.fresh += Math.min(to, (k + 1) * p) - Math.max(from, k * p);
                if (part.fresh >= p && !part.inFlight) {
                    ready.add((int) k);
                }
            } else {
                part.fresh = 0;   // cut or a hole: its bytes are not written through
                ready.remove((int) k);
            }
        }
    }

    /** Starts the parts that are ready: after a write, with no lock held. */
    void advance() {
        String reason = null;
        List<Integer> start = new ArrayList<>();
        String uploadKey = null;
        String uploadId = null;
        CompletableFuture<String> beginning = null;
        String beginKey = null;
        Map<String, String> beginMetadata = null;
        String path = file.path;
        String current = context.keyOf.apply(path);
        Owner owner = file.owner();   // the file's lock is never taken under this one
        java.time.Instant mtime = file.mtime();
        synchronized (this) {
            if (disabled != null || finishing) {
                return;
            }
            long p = context.partSize;
            if (tooLarge) {
                reason = "it grew past " + UploadSettings.MAX_PARTS + " parts";
            } else if (begun == null) {
                if (!ready.isEmpty() && (ready.first() + 2L) * p <= size) {
                    key = current;
                    begunPath = path;
                    begunMetadata = ObjectAttributes.metadata(owner != null ? owner : context.defaultOwner, mtime,
                            false);
                    // set before the store is asked: an answer that arrives at once runs advance() again, which
                    // must find this upload, not begin a second one
                    begun = beginning = new CompletableFuture<>();
                    beginKey = current;
                    beginMetadata = begunMetadata;
                }
            } else if (!begun.isDone() || begun.isCompletedExceptionally()) {
                return;
            } else {
                for (int k : ready) {
                    if ((k + 2L) * p > size || !context.budget.tryAcquire()) {
                        break;
                    }
                    start.add(k);
                }
                for (int k : start) {
                    ready.remove(k);
                    Part part = parts.get(k);
                    part.inFlight = true;
                    part.fresh = 0;
                    sending++;
                }
            }
            if (beginning == null) {
                uploadKey = key;
                uploadId = idOf(begun);
            }
        }
        if (beginning != null) {
            begin(requireNonNull(beginKey, "set with beginning"), requireNonNull(beginMetadata, "set with beginning"),
                    beginning);   // its parts go once it exists
            return;
        }
        if (reason != null) {
            stop(reason);
            return;
        }
        for (int k : start) {
            // parts start only once the upload has begun: its key and id are known
            String sendKey = requireNonNull(uploadKey, "a part starts only once the upload has begun");
            String sendId = requireNonNull(uploadId, "a part starts only once the upload has begun");
            try {
                context.executor.execute(() -> sendWhileWriting(sendKey, sendId, k));
            } catch (java.util.concurrent.RejectedExecutionException e) {   // shutting down: it goes with the upload
                partEnded(k, sendId, 0, null, e);
            }
        }
    }

    /**
     * Begins the multipart upload, completing {@code journaled} with its id once the id is journaled. Called with no
     * lock held.
     */
    private void begin(String uploadKey, Map<String, String> metadata, CompletableFuture<String> journaled) {
        CompletableFuture<String> begin;
        try {
            begin = context.store.beginMultipart(uploadKey, metadata);
        } catch (RuntimeException e) {
            begin = CompletableFuture.failedFuture(e);
        }
        begin.thenApplyAsync(id -> {
            try {
                context.area.multipartBegun(uploadKey, id);
            } catch (FsException e) {
                context.store.abortMultipart(uploadKey, id);
                throw new CompletionException(e);
            }
            return id;
        }, context.executor).whenComplete((id, failure) -> {
            if (failure == null) {
                journaled.complete(id);
            } else {
                journaled.completeExceptionally(failure);
            }
        });
        journaled.whenCompleteAsync((id, failure) -> {
            if (failure == null) {
                advance();
                return;
            }
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            stop(cause instanceof UnsupportedOperationException ? null
                    : "its multipart upload could not begin: " + cause.getMessage());
        }, context.executor);
    }

    /**
     * Reads part {@code k} with its version, under the staged file's lock, into a buffer of the pool, and sends it;
     * the buffer goes back to the pool once the store is done with it.
     */
    private void sendWhileWriting(String uploadKey, String uploadId, int k) {
        long p = context.partSize;
        ByteBuffer bytes;
        try {
            bytes = context.buffers.take();
        } catch (RuntimeException | Error e) {   // no memory off the heap: the part ends failed, its permit freed
            partEnded(k, uploadId, 0, null, e);
            return;
        }
        long version;
        int read;
        try {
            synchronized (file) {
                read = file.read(k * p, bytes);
                version = versionOf(k);
            }
        } catch (FsException | RuntimeException | Error e) {
            context.buffers.give(bytes);
            partEnded(k, uploadId, 0, null, e);
            return;
        }
        if (read != p) {   // cut short meanwhile: not a whole part
            context.buffers.give(bytes);
            partEnded(k, uploadId, version, null, null);
            return;
        }
        CompletableFuture<UploadedPart> sent;
        try {
            sent = context.store.uploadPart(uploadKey, uploadId, k + 1, bytes.flip());
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.whenComplete((part, failure) -> {
            context.buffers.give(bytes);   // before the permit: no more buffers are kept than parts may be in flight
            partEnded(k, uploadId, version, part, failure);
        });
    }

    private synchronized long versionOf(int k) {
        return parts.get(k).version;
    }

    private void partEnded(int k, String uploadId, long version, @Nullable UploadedPart sent,
                           @Nullable Throwable failure) {
        context.budget.release();
        boolean more;
        List<CompletableFuture<Void>> settled = List.of();
        synchronized (this) {
            Part part = parts.get(k);
            part.inFlight = false;
            if (sent != null && uploadId.equals(idOf(begun))) {
                part.sent = sent;
                part.sentVersion = version;
                context.whileWriting.increment();
            } else if (failure != null) {
                LOG.debug("part {} of /{} was not sent while written (it goes with the upload): {}", k + 1, file.path,
                        failure.toString());
            }
            if (part.fresh >= context.partSize) {
                ready.add(k);
            }
            if (--sending == 0 && !quiet.isEmpty()) {
                settled = new ArrayList<>(quiet);
                quiet.clear();
            }
            more = !ready.isEmpty() && !finishing;
        }
        settled.forEach(q -> q.complete(null));
        if (more) {
            advance();
        }
    }

    /** The file's name when the streamed upload began, the key it is completed under; null when none began. */
    synchronized @Nullable String begunPath() {
        return begunPath;
    }

    /** A streamed upload being completed under the key of {@code path}, the name its file had when it began. */
    record Finishing(String path, CompletableFuture<ObjectMeta> object) {
    }

    /**
     * Completes the streamed upload as the upload of the file, named {@code path} now, whose {@code finalSize}
     * bytes and user {@code metadata} are the file's now, with the conditions of an upload to {@code path}. A file
     * renamed since the upload began is completed under its old name instead, with If-None-Match (see the class
     * comment). Null when nothing was streamed, or what was cannot be used: then it is aborted and the caller
     * uploads the file whole. On failure the upload is aborted too.
     */
    @Nullable Finishing finish(String path, long finalSize, Map<String, String> metadata, boolean ifNoneMatch,
                               @Nullable String ifMatchEtag) {
        String reason = null;
        CompletableFuture<String> upload;
        CompletableFuture<Void> settled = new CompletableFuture<>();
        String uploadKey;
        String uploadPath;
        boolean renamed;
        synchronized (this) {
            if (disabled != null || begun == null || begun.isCompletedExceptionally()) {
                return null;
            }
            uploadKey = requireNonNull(key, "set with begun");
            uploadPath = requireNonNull(begunPath, "set with begun");
            renamed = !uploadKey.equals(context.keyOf.apply(path));
            if (!withoutMtime(metadata).equals(withoutMtime(requireNonNull(begunMetadata, "set with begun")))) {
                reason = "its owner or mode changed";
            } else if (tooLarge || finalSize == 0 || finalSize > context.partSize * UploadSettings.MAX_PARTS) {
                reason = "its size does not fit the parts";
            }
            upload = begun;
            if (reason == null) {
                finishing = true;
                if (sending == 0) {
                    settled.complete(null);
                } else {
                    quiet.add(settled);
                }
            }
        }
        if (reason != null) {
            stop(reason);
            return null;
        }
        boolean noneMatch = renamed || ifNoneMatch;
        String match = renamed ? null : ifMatchEtag;
        CompletableFuture<ObjectMeta> result = upload
                .thenCombine(settled, (id, ignored) -> id)
                .thenComposeAsync(id -> sendRest(uploadKey, id, finalSize)
                        .thenCompose(all -> context.store.completeMultipart(uploadKey, id, all, noneMatch, match)),
                        context.executor);
        return new Finishing(uploadPath, result.whenComplete((meta, failure) -> {
            String id = idOf(upload);
            synchronized (this) {
                reset();
            }
            if (id == null) {
                return;
            }
            if (failure != null) {
                context.abandoned.increment();
                abort(uploadKey, id);
            } else {
                context.area.multipartEnded(id);
            }
        }));
    }

    /** The parts of {@code finalSize} bytes, in order: those S3 holds as they are now, the rest sent now. */
    private CompletableFuture<List<UploadedPart>> sendRest(String uploadKey, String uploadId, long finalSize) {
        long p = context.partSize;
        int count = (int) ((finalSize + p - 1) / p);
        List<CompletableFuture<UploadedPart>> all = new ArrayList<>(count);
        synchronized (this) {
            for (int k = 0; k < count; k++) {
                long length = Math.min(p, finalSize - k * p);
                Part part = k < parts.size() ? parts.get(k) : null;
                UploadedPart sent = part != null && part.sentVersion == part.version ? part.sent : null;
                all.add(sent != null && sent.length() == length ? CompletableFuture.completedFuture(sent) : null);
            }
        }
        PartsAtUpload.send(context, file, uploadKey, uploadId, finalSize, all);
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
                .thenApply(ignored -> all.stream().map(CompletableFuture::join).toList());
    }

    /**
     * Aborts the upload and streams this file no more (it is uploaded whole after its close): removed, or it
     * cannot be streamed. A null {@code reason} stops quietly: the store cannot stream.
     */
    void stop(@Nullable String reason) {
        CompletableFuture<String> upload;
        String uploadKey;
        synchronized (this) {
            if (disabled != null) {
                return;
            }
            disabled = reason == null ? "the store cannot" : reason;
            upload = begun;
            uploadKey = key;
            reset();
        }
        if (upload == null) {
            return;
        }
        if (reason != null) {
            context.abandoned.increment();
            LOG.info("the streamed upload of /{} stops ({}): the file is uploaded whole after its close", file.path,
                    reason);
        }
        String abortKey = requireNonNull(uploadKey, "set with begun");
        upload.thenAccept(id -> abort(abortKey, id));   // now, or when it has begun
    }

    /** Forgets the upload (under this monitor); parts wait for fresh writes to go again. */
    private void reset() {
        begun = null;
        key = null;
        begunPath = null;
        begunMetadata = null;
        finishing = false;
        ready.clear();
        for (Part part : parts) {
            part.sent = null;
            part.fresh = 0;
        }
    }

    private void abort(String uploadKey, String uploadId) {
        CompletableFuture<Void> aborted;
        try {
            aborted = context.store.abortMultipart(uploadKey, uploadId);
        } catch (RuntimeException e) {
            aborted = CompletableFuture.failedFuture(e);
        }
        aborted.whenCompleteAsync((ignored, failure) -> {
            if (failure == null) {
                context.area.multipartEnded(uploadId);
            } else {
                LOG.warn("s3://{}/{}: multipart upload {} could not be aborted ({}); the next start tries again",
                        context.store.bucket(), uploadKey, uploadId, failure.toString());
            }
        }, context.executor);
    }

    private Part part(int k) {
        while (parts.size() <= k) {
            parts.add(new Part());
        }
        return parts.get(k);
    }

    /** The upload id once the upload has begun, else null. */
    private static @Nullable String idOf(@Nullable CompletableFuture<String> upload) {
        return upload != null && upload.isDone() && !upload.isCompletedExceptionally() ? upload.join() : null;
    }

    private static Map<String, String> withoutMtime(Map<String, String> metadata) {
        Map<String, String> m = new HashMap<>(metadata);
        m.remove("mtime");
        return m;
    }
}
