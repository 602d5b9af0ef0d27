package io.prefetchd.benchmarks.harness;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * The least time an epoch could have taken given what it did, and which limit sets it: the largest of the all-local
 * epoch time (the readers and consumer with no S3 at all), the epoch's S3 body bytes at the aggregate bandwidth, and
 * the epoch's S3 GETs at the GET rate the emulator's self-check measured. Each term is a lower bound on its own, so
 * their maximum is too; {@code wall / seconds} says how far an epoch is from the limit that binds.
 *
 * <p>The terms use the epoch's own traffic, so a contender that fetches twice the bytes it needs gets a bound twice
 * as long: this bound tells whether a contender used the S3 it had, and {@code S3/(1-c)D} whether it needed that
 * much. HEADs and LISTs are not in the request term: the metadata requests a contender makes count against it.
 *
 * @param seconds the bound: the largest term
 * @param binding the term that is largest
 * @param allLocalSeconds the all-local epoch time, 0 when all-local did not run
 * @param bytesSeconds S3 bytes / aggregate bandwidth, 0 when the bandwidth is unlimited
 * @param getsSeconds S3 GETs / measured GET rate, 0 when the rate was not measured
 */
public record EpochBound(double seconds, Term binding, double allLocalSeconds, double bytesSeconds,
                         double getsSeconds) {

    /** The terms of the bound, named as the table prints them. */
    public enum Term {
        ALL_LOCAL("all-local"),
        BYTES("bandwidth"),
        GETS("GET rate");

        private final String label;

        Term(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    public EpochBound {
        requireNonNull(binding, "binding is null");
    }

    /**
     * The bound of one epoch, or null when every term is zero (no all-local run, no S3 traffic or no limits).
     *
     * @param allLocalSeconds the all-local time of the same epoch, or null when all-local did not run
     * @param s3Bytes S3 body bytes the epoch fetched
     * @param bytesPerSecond aggregate S3 bandwidth; 0 or less = unlimited
     * @param gets S3 GETs the epoch made
     * @param getsPerSecond the emulator's measured GET rate; 0 or less = not measured
     */
    public static @Nullable EpochBound of(@Nullable Double allLocalSeconds, long s3Bytes, long bytesPerSecond,
                                          long gets, double getsPerSecond) {
        double local = allLocalSeconds == null ? 0 : allLocalSeconds;
        double bytes = bytesPerSecond > 0 ? (double) s3Bytes / bytesPerSecond : 0;
        double requests = getsPerSecond > 0 ? gets / getsPerSecond : 0;
        Term binding = Term.ALL_LOCAL;
        double max = local;
        if (bytes > max) {
            binding = Term.BYTES;
            max = bytes;
        }
        if (requests > max) {
            binding = Term.GETS;
            max = requests;
        }
        return max <= 0 ? null : new EpochBound(max, binding, local, bytes, requests);
    }

    /** {@code wallSeconds} as a multiple of this bound. */
    public double ratio(double wallSeconds) {
        return wallSeconds / seconds;
    }
}
