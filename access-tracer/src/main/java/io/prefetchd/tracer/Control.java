package io.prefetchd.tracer;

import java.util.concurrent.CompletableFuture;

/**
 * A non-record event for the writer, stamped with the ring position it comes after (records with a smaller
 * position were accepted before it). Immutable.
 */
sealed interface Control {
    long stamp();

    record Begin(long stamp, String dataset, String job, int epoch) implements Control {
    }

    record End(long stamp, String dataset, String job) implements Control {
    }

    record Size(long stamp, String dataset, long bytes) implements Control {
    }

    record Flush(long stamp, CompletableFuture<Void> done) implements Control {
    }

    record Shutdown(long stamp) implements Control {
    }
}
