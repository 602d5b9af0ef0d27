package io.prefetchd.gateway.s3;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/**
 * Bounds the asynchronous requests in flight and the requests waiting for a slot, without blocking any
 * thread: a request beyond both bounds fails at once with {@link RejectedExecutionException}, which the
 * store reports as {@link ObjectStoreException.Kind#THROTTLED}.
 *
 * <p>Thread-safe: all state is guarded by {@code this}. Calls are started outside the lock.
 */
final class RequestLimiter {
    private final int maxInFlight;
    private final int maxQueued;
    private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
    private int inFlight;

    RequestLimiter(int maxInFlight, int maxQueued) {
        if (maxInFlight < 1 || maxQueued < 0) {
            throw new IllegalArgumentException("maxInFlight=" + maxInFlight + " maxQueued=" + maxQueued);
        }
        this.maxInFlight = maxInFlight;
        this.maxQueued = maxQueued;
    }

    /** Starts {@code call} when a slot is free; the returned future mirrors the call's. */
    <T> CompletableFuture<T> submit(Supplier<CompletableFuture<T>> call) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Runnable start = () -> start(call, result);
        boolean runNow;
        synchronized (this) {
            if (inFlight < maxInFlight) {
                inFlight++;
                runNow = true;
            } else if (queue.size() < maxQueued) {
                queue.addLast(start);
                runNow = false;
            } else {
                result.completeExceptionally(new RejectedExecutionException(
                        "local S3 request queue is full: " + inFlight + " in flight, " + queue.size() + " waiting"));
                return result;
            }
        }
        if (runNow) {
            start.run();
        }
        return result;
    }

    private <T> void start(Supplier<CompletableFuture<T>> call, CompletableFuture<T> result) {
        CompletableFuture<T> future;
        try {
            future = call.get();
        } catch (RuntimeException e) {
            future = CompletableFuture.failedFuture(e);
        }
        future.whenComplete((value, failure) -> {
            release();
            if (failure != null) {
                result.completeExceptionally(failure);
            } else {
                result.complete(value);
            }
        });
    }

    private void release() {
        Runnable next;
        synchronized (this) {
            next = queue.pollFirst();
            if (next == null) {
                inFlight--;
            }
        }
        if (next != null) {
            next.run(); // keeps the slot
        }
    }

    synchronized int inFlight() {
        return inFlight;
    }

    synchronized int queued() {
        return queue.size();
    }
}
