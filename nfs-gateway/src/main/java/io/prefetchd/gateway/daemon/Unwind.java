package io.prefetchd.gateway.daemon;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What a start has built so far, closed again in reverse order when a later step fails, so that a failed start
 * leaves no thread, socket or open file behind. Confined to the starting thread.
 */
final class Unwind {
    private static final Logger LOG = LoggerFactory.getLogger(Unwind.class);

    private final Deque<AutoCloseable> built = new ArrayDeque<>();

    /** {@code part}, to be closed if the start fails. */
    <T extends AutoCloseable> T add(T part) {
        built.push(part);
        return part;
    }

    /** Runs {@code undo} if the start fails: for parts that are not closeable, such as executors. */
    void onFailure(AutoCloseable undo) {
        built.push(undo);
    }

    /** Closes what was built, the last first; a failure to close is added to {@code failure}. */
    void closeAll(Throwable failure) {
        while (!built.isEmpty()) {
            try {
                built.pop().close();
            } catch (Exception e) {
                failure.addSuppressed(e);
                LOG.debug("closing after a failed start: {}", e.toString());
            }
        }
    }
}
