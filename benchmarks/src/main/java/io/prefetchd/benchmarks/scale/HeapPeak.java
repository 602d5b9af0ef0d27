package io.prefetchd.benchmarks.scale;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * The most live heap seen while a step runs, above what was live when it started: the largest heap in use after any
 * collection during the step (every collection reports what it left), and after the full collections the step asks
 * for with {@link #probe} at the points where it holds the most. A lower bound of the true peak between collections,
 * which is what decides whether a step fits in a heap. Close it to stop listening.
 */
final class HeapPeak implements AutoCloseable {
    private final AtomicLong maxAfterGc = new AtomicLong();
    private final List<NotificationEmitter> emitters = new ArrayList<>();
    private final NotificationListener listener = this::collected;
    private final long baseline;

    HeapPeak() {
        baseline = settledUsed();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter e) {
                e.addNotificationListener(listener, null, null);
                emitters.add(e);
            }
        }
    }

    /** A full collection now; what it leaves counts towards the peak. */
    void probe() {
        long used = settledUsed();
        maxAfterGc.accumulateAndGet(used, Math::max);
    }

    /** The peak live heap above the baseline, in bytes. */
    long peakBytes() {
        return Math.max(0, maxAfterGc.get() - baseline);
    }

    private void collected(Notification n, Object handback) {
        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
            return;
        }
        GarbageCollectionNotificationInfo info =
                GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
        long used = 0;
        for (MemoryUsage u : info.getGcInfo().getMemoryUsageAfterGc().values()) {
            used += u.getUsed();
        }
        maxAfterGc.accumulateAndGet(used, Math::max);
    }

    private static long settledUsed() {
        System.gc();
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    @Override
    public void close() throws Exception {
        for (NotificationEmitter e : emitters) {
            e.removeNotificationListener(listener);
        }
    }
}
