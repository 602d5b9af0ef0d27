package io.prefetchd.gateway.fs.staging;

import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.s3.UploadedPart;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

import static java.util.Objects.requireNonNull;

/**
 * Sends the parts of a streamed upload that are missing when it is due (the tail, parts changed after they went up),
 * read from the staged file into the part buffers, as the parts sent while the file was written are: around the page
 * cache (a file's last, partial part through it), so that the second half of a checkpoint, uploaded after its close,
 * fills no page cache and is not copied once more into the store's own file buffers. The parts go on as many lanes
 * as the shared budget has permits free, more as permits free up while parts wait (each lane one part in flight at
 * a time, its permit held until no part waits); with none free at the start, each part is read from the staged file
 * by the store itself, as any upload of a whole file is.
 *
 * <p>A part that cannot be read whole (the file cut short meanwhile) or sent fails the whole send, and the parts not
 * yet started with it: the upload is then aborted and its file uploaded whole.
 *
 * <p>Thread-safe; a lane's next part is read on the context's executor, never on the store's threads.
 */
final class PartsAtUpload {
    private final StreamingUpload.Context context;
    private final StagedFile file;
    private final String uploadKey;
    private final String uploadId;
    private final long finalSize;
    private final List<CompletableFuture<UploadedPart>> parts;
    private final Queue<Integer> waiting = new ArrayDeque<>();

    /**
     * @param parts one future per part of the final layout, in order: the ones still null are to be sent, and
     *              are set here
     */
    private PartsAtUpload(StreamingUpload.Context context, StagedFile file, String uploadKey, String uploadId,
                          long finalSize, List<CompletableFuture<UploadedPart>> parts) {
        this.context = requireNonNull(context, "context is null");
        this.file = requireNonNull(file, "file is null");
        this.uploadKey = requireNonNull(uploadKey, "uploadKey is null");
        this.uploadId = requireNonNull(uploadId, "uploadId is null");
        this.finalSize = finalSize;
        this.parts = requireNonNull(parts, "parts is null");
    }

    /** Sends every part of {@code parts} that is null (see the constructor); each is set before this returns. */
    static void send(StreamingUpload.Context context, StagedFile file, String uploadKey, String uploadId,
                     long finalSize, List<CompletableFuture<UploadedPart>> parts) {
        new PartsAtUpload(context, file, uploadKey, uploadId, finalSize, parts).start();
    }

    private void start() {
        for (int k = 0; k < parts.size(); k++) {
            if (parts.get(k) == null) {
                waiting.add(k);
                context.atUpload.increment();
            }
        }
        if (waiting.isEmpty()) {
            return;
        }
        if (!context.budget.tryAcquire()) {
            for (Integer k = next(); k != null; k = next()) {
                parts.set(k, fromFile(k));
            }
            return;
        }
        for (Integer k : waiting) {
            parts.set(k, new CompletableFuture<>());
        }
        lane();   // and more lanes from it, as permits allow
    }

    private synchronized @Nullable Integer next() {
        return waiting.poll();
    }

    /**
     * Sends the next waiting part through a buffer and, once it is in S3, the one after on the same lane; gives the
     * lane's permit back when none is left. Once its part is on its way, opens another lane if parts wait and a
     * permit is free: so the tail spreads over the permits free at the start, and one begun on few lanes (other
     * files' parts held the budget) widens as they end.
     */
    private void lane() {
        Integer k = next();
        if (k == null) {
            context.budget.release();
            return;
        }
        long offset = k * context.partSize;
        int length = (int) Math.min(context.partSize, finalSize - offset);
        ByteBuffer bytes = null;
        CompletableFuture<UploadedPart> sent;
        try {
            bytes = context.buffers.take();
            bytes.limit(length);
            int read = file.read(offset, bytes);
            if (read != length) {
                throw new IOException("part " + (k + 1) + " of /" + file.path + " holds " + read + " of its "
                        + length + " bytes: the file was cut short");
            }
            sent = context.store.uploadPart(uploadKey, uploadId, k + 1, bytes.flip());
        } catch (FsException | IOException | RuntimeException | Error e) {   // an Error too: else the upload hangs
            sent = CompletableFuture.failedFuture(e);
        }
        ByteBuffer taken = bytes;
        sent.whenComplete((uploaded, failure) -> {
            if (taken != null) {
                context.buffers.give(taken);   // the store is done with it, retries included
            }
            try {
                context.executor.execute(() -> {
                    ended(k, uploaded, failure);
                    lane();
                });
            } catch (RejectedExecutionException e) {   // shutting down: no part starts any more
                ended(k, uploaded, failure);
                failWaiting(e);
                context.budget.release();
            }
        });
        if (hasWaiting() && context.budget.tryAcquire()) {
            lane();
        }
    }

    private synchronized boolean hasWaiting() {
        return !waiting.isEmpty();
    }

    /** Part {@code k} is in S3, or failed, and then so do the parts still waiting. */
    private void ended(int k, @Nullable UploadedPart uploaded, @Nullable Throwable failure) {
        if (failure != null) {
            parts.get(k).completeExceptionally(failure);
            failWaiting(failure);
        } else {
            parts.get(k).complete(uploaded);
        }
    }

    private void failWaiting(Throwable failure) {
        for (Integer k = next(); k != null; k = next()) {
            parts.get(k).completeExceptionally(failure);
        }
    }

    private CompletableFuture<UploadedPart> fromFile(int k) {
        long offset = k * context.partSize;
        try {
            return context.store.uploadPart(uploadKey, uploadId, k + 1, file.file, offset,
                    Math.min(context.partSize, finalSize - offset));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
