package io.prefetchd.gateway.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;

class RequestLimiterTest {
    private final List<CompletableFuture<String>> started = new ArrayList<>();

    private CompletableFuture<String> call() {
        CompletableFuture<String> f = new CompletableFuture<>();
        started.add(f);
        return f;
    }

    @Test
    void submit_beyondMaxInFlight_waitsAndStartsInOrderAsSlotsFree() throws Exception {
        RequestLimiter limiter = new RequestLimiter(2, 10);

        CompletableFuture<String> a = limiter.submit(this::call);
        limiter.submit(this::call);
        CompletableFuture<String> c = limiter.submit(this::call);

        assertEquals(2, started.size());
        assertEquals(1, limiter.queued());
        started.get(0).complete("a");
        assertEquals("a", a.get());
        assertEquals(3, started.size());
        assertEquals(2, limiter.inFlight());
        started.get(2).complete("c");
        assertEquals("c", c.get());
        started.get(1).complete("b");
        assertEquals(0, limiter.inFlight());
    }

    @Test
    void submit_beyondQueue_failsAtOnce() {
        RequestLimiter limiter = new RequestLimiter(1, 1);
        limiter.submit(this::call);
        limiter.submit(this::call);

        CompletableFuture<String> rejected = limiter.submit(this::call);

        assertTrue(rejected.isCompletedExceptionally());
        ExecutionException e = assertThrows(ExecutionException.class, rejected::get);
        assertInstanceOf(RejectedExecutionException.class, e.getCause());
        assertEquals(1, started.size());
    }

    @Test
    void submit_callThatThrows_releasesItsSlot() {
        RequestLimiter limiter = new RequestLimiter(1, 0);

        CompletableFuture<String> failed = limiter.submit(() -> {
            throw new IllegalStateException("boom");
        });

        assertTrue(failed.isCompletedExceptionally());
        assertEquals(0, limiter.inFlight());
    }
}
