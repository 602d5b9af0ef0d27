package io.prefetchd.planner;

import java.util.Arrays;

import static java.util.Objects.requireNonNull;

/**
 * The order in which an epoch reads samples: a hint published by the job's sampler, or an order the planner
 * observed and replays. Immutable (the array is copied in and never handed out).
 *
 * <p>Several ranks of one job each publish their own order; the hint service merges them into one sequence in the
 * order the gateway will see them (round robin by rank for equal-speed ranks) before publishing it here.
 */
public final class EpochOrder {
    private final int epoch;
    private final int[] samples;

    private EpochOrder(int epoch, int[] samples) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch is negative: " + epoch);
        }
        for (int i = 0; i < samples.length; i++) {
            if (samples[i] < 0) {
                throw new IllegalArgumentException("sample id is negative at position " + i + ": " + samples[i]);
            }
        }
        this.epoch = epoch;
        this.samples = samples;
    }

    /** An epoch's order; the array is copied. */
    public static EpochOrder of(int epoch, int... samples) {
        requireNonNull(samples, "samples is null");
        return new EpochOrder(epoch, samples.clone());
    }

    public int epoch() {
        return epoch;
    }

    public int size() {
        return samples.length;
    }

    public int sampleAt(int position) {
        return samples[position];
    }

    /** A copy of the order. */
    public int[] toArray() {
        return samples.clone();
    }

    int[] unsafeArray() {
        return samples;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EpochOrder other && other.epoch == epoch && Arrays.equals(other.samples, samples);
    }

    @Override
    public int hashCode() {
        return 31 * epoch + Arrays.hashCode(samples);
    }

    @Override
    public String toString() {
        return "EpochOrder[epoch=" + epoch + ", size=" + samples.length + "]";
    }
}
