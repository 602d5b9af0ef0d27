package io.prefetchd.tracer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecordRingTest {

    @Test
    void full_refusesAndCountsThenAcceptsAfterRelease() {
        RecordRing ring = new RecordRing(4);
        for (int i = 0; i < 4; i++) {
            assertTrue(offer(ring, i));
        }
        assertFalse(offer(ring, 4));
        assertEquals(1, ring.dropped());
        int slot = ring.peek();
        assertEquals(0, ring.offset[slot]);
        ring.release(slot);
        assertTrue(offer(ring, 5));
        assertEquals(4, ring.size());
        assertEquals(5, ring.claimed());
    }

    @Test
    void concurrentProducers_everyAcceptedRecordIsConsumedOnceAndInPerThreadOrder() throws Exception {
        RecordRing ring = new RecordRing(64);
        int threads = 4;
        int perThread = 50_000;
        CountDownLatch start = new CountDownLatch(1);
        AtomicBoolean done = new AtomicBoolean();
        List<Thread> producers = new ArrayList<>();
        for (int p = 0; p < threads; p++) {
            long base = (long) p << 32;
            Thread t = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < perThread; i++) {
                    offer(ring, base + i);
                }
            });
            producers.add(t);
            t.start();
        }
        long[] lastSeen = new long[threads];
        java.util.Arrays.fill(lastSeen, -1);
        long[] consumed = new long[threads];
        Thread consumer = new Thread(() -> {
            while (true) {
                int slot = ring.peek();
                if (slot < 0) {
                    if (done.get() && ring.peek() < 0) {
                        return;
                    }
                    Thread.onSpinWait();
                    continue;
                }
                long v = ring.offset[slot];
                int p = (int) (v >>> 32);
                long i = v & 0xffffffffL;
                if (i <= lastSeen[p]) {
                    throw new AssertionError("out of order or duplicate: " + p + "/" + i);
                }
                if (!("k" + (v & 7)).equals(ring.key[slot])) {
                    throw new AssertionError("fields of one record mixed with another's");
                }
                lastSeen[p] = i;
                consumed[p]++;
                ring.release(slot);
            }
        });
        consumer.start();
        start.countDown();
        for (Thread t : producers) {
            t.join();
        }
        done.set(true);
        consumer.join();
        long total = 0;
        for (long c : consumed) {
            total += c;
        }
        assertEquals(ring.claimed(), total);
        assertEquals((long) threads * perThread, total + ring.dropped());
        assertArrayEquals(new long[] {0, 0, 0, 0}, new long[] {0, 0, 0, ring.size()});
    }

    private static boolean offer(RecordRing ring, long v) {
        return ring.offer(1, "d", "j", -1, 2, "a", "k" + (v & 7), "e", 3, -1, v, 4, Outcome.CACHE_HIT, 0);
    }
}
