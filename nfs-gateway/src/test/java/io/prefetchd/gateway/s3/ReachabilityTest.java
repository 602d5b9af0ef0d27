package io.prefetchd.gateway.s3;

import io.prefetchd.gateway.s3.ObjectStoreException.Kind;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReachabilityTest {
    private static final long SECOND = 1_000_000_000L;
    private final AtomicLong now = new AtomicLong(1_000 * SECOND);
    private final Reachability breaker = new Reachability("b", "s3://b", Duration.ofSeconds(5), now::get);

    @Test
    void failureWithoutAnswer_opensAndRefusesNextRequest() {
        breaker.failedWithoutAnswer("connection refused");

        ObjectStoreException e = assertThrows(ObjectStoreException.class,
                () -> breaker.admit(new CompletableFuture<>(), "k", "GET"));

        assertEquals(Kind.UNREACHABLE, e.kind());
        assertTrue(e.getMessage().contains("connection refused"), e.getMessage());
        assertEquals(1, breaker.state().refused());
    }

    @Test
    void check_requestWaitingLongerThanSilenceWithNoAnswer_opensAndFailsIt() {
        CompletableFuture<byte[]> waiting = new CompletableFuture<>();
        breaker.admit(waiting, "k", "GET");
        now.addAndGet(6 * SECOND);

        breaker.check();

        assertTrue(breaker.isOpen());
        CompletionException e = assertThrows(CompletionException.class, waiting::join);
        assertEquals(Kind.UNREACHABLE, ((ObjectStoreException) e.getCause()).kind());
    }

    @Test
    void check_slowRequestWhileOthersAreAnswered_staysClosed() {
        breaker.admit(new CompletableFuture<>(), "big", "GET");
        now.addAndGet(6 * SECOND);
        breaker.answered();

        breaker.check();

        assertFalse(breaker.isOpen());
    }

    @Test
    void check_requestTheStoreWorksOnWithinItsPatience_staysClosed_andOpensAfterIt() {
        CompletableFuture<byte[]> assembling = new CompletableFuture<>();
        breaker.admit(assembling, "ckpt", "CompleteMultipartUpload", Duration.ofSeconds(20));
        now.addAndGet(24 * SECOND);

        breaker.check();
        assertFalse(breaker.isOpen());

        now.addAndGet(2 * SECOND);   // silence (5 s) and patience (20 s) passed with no answer
        breaker.check();
        assertTrue(breaker.isOpen());
        assertThrows(CompletionException.class, assembling::join);
    }

    @Test
    void check_quickRequestSilentBesideAPatientOne_opens() {
        breaker.admit(new CompletableFuture<>(), "ckpt", "CompleteMultipartUpload", Duration.ofSeconds(20));
        breaker.admit(new CompletableFuture<>(), "k", "HEAD");
        now.addAndGet(6 * SECOND);

        breaker.check();

        assertTrue(breaker.isOpen());
        assertTrue(breaker.state().lastError().contains("no answer to 2 requests for 6.0 s"),
                breaker.state().lastError());
    }

    @Test
    void check_noRequestsWaiting_staysClosed() {
        CompletableFuture<byte[]> done = new CompletableFuture<>();
        breaker.admit(done, "k", "GET");
        done.complete(new byte[0]);
        now.addAndGet(60 * SECOND);

        breaker.check();

        assertFalse(breaker.isOpen());
    }

    @Test
    void probeSucceeded_closesAndAdmitsAgain() {
        breaker.failedWithoutAnswer("timeout");
        now.addAndGet(3 * SECOND);
        assertEquals(Duration.ofSeconds(3), breaker.state().unreachableFor());

        breaker.probeSucceeded();

        assertTrue(breaker.state().reachable());
        breaker.admit(new CompletableFuture<>(), "k", "GET");
    }
}
