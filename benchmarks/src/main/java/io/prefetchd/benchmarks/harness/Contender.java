package io.prefetchd.benchmarks.harness;

/**
 * One way of reading the dataset: a mount, a gateway, a folder, plain GETs. Started before its epochs and closed
 * after them; {@link #newReader()} is called once per reader thread.
 */
public interface Contender extends AutoCloseable {

    /** Short name used in tables and JSON, e.g. {@code prefetchd-hints}. */
    String name();

    /** How the bytes travel, e.g. "prefetchd's Java NFSv4.1 client (Nfs4Client), one TCP connection per reader". */
    String client();

    /** Notes to print and record (settings that could not be applied, and so on). */
    default java.util.List<String> notes() {
        return java.util.List.of();
    }

    /** Called before epoch {@code epoch} with its sample order (hints go here). */
    default void beforeEpoch(int epoch, int[] order) throws Exception {
    }

    /**
     * The contender's own counters (for prefetchd: label-free {@code prefetchd_cache_*}, {@code prefetchd_s3_*},
     * {@code prefetchd_prefetch*} and {@code prefetchd_planner*} series of its /metrics); read before and after
     * each epoch, the difference is recorded. Empty when the contender has none.
     */
    default java.util.Map<String, Double> counters() {
        return java.util.Map.of();
    }

    /** The process the contender runs its server in, when it is not the harness's own (its CPU is reported). */
    default java.util.OptionalLong processId() {
        return java.util.OptionalLong.empty();
    }

    /**
     * A reader for one thread; not shared between threads.
     *
     * @param keepOpen keep each file open across reads (a worker holding shard handles); otherwise every read opens
     *     and closes its file, as a map-style Dataset's {@code __getitem__} does (and as FUSE caches need in order
     *     to evict: neither s3fs nor rclone drops a file that is open)
     */
    SampleReader newReader(boolean keepOpen) throws Exception;

    /** Reads samples for one thread. */
    interface SampleReader extends AutoCloseable {
        /** The sample's bytes, exactly {@code s.length()} of them. */
        byte[] read(Dataset.Sample s) throws Exception;

        @Override
        default void close() throws Exception {
        }
    }

    /** Thrown when a contender cannot run here; the run prints the reason and goes on. */
    final class Unavailable extends Exception {
        public Unavailable(String reason) {
            super(reason);
        }

        public Unavailable(String reason, Throwable cause) {
            super(reason, cause);
        }
    }
}
