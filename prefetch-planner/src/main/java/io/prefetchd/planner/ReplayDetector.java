package io.prefetchd.planner;

import java.util.Arrays;

/**
 * Detects an epoch that repeats the order of the previous one, for planning without hints.
 *
 * <p>We remember the last complete epoch's order and, per sample, its position there. A read continues a run when
 * the sample sits right after the previous read's sample in that order; after {@code threshold} reads in a row the
 * rest of the previous order is predicted to follow (from wherever the run is, so an epoch that resumes mid-way or
 * skips a few samples is still caught). One mismatch ends the run and the prediction. When a whole epoch repeated
 * the one before, the next epoch is predicted from its first read.
 *
 * <p>Memory: two int arrays of the epoch length and one of the dataset size. Not thread-safe; owned by one engine.
 */
final class ReplayDetector {
    private final int universe;
    private final int threshold;
    private int[] previous = new int[0];
    private int[] previousPosition;
    private int[] current = new int[1024];
    private int currentLength;
    private int lastIndex = -1;
    private int run;
    private int matchedInEpoch;
    private boolean previousRepeated;

    ReplayDetector(int universe, int threshold) {
        this.universe = universe;
        this.threshold = threshold;
        this.previousPosition = new int[universe];
        Arrays.fill(previousPosition, -1);
    }

    /** Seeds the history with an epoch observed earlier (from a trace). */
    void learn(EpochOrder order) {
        setPrevious(order.toArray());
        previousRepeated = false;
    }

    /**
     * Records a read.
     *
     * @return the index in the previous order after which the prediction starts (the run just reached the
     *         threshold), or -1
     */
    int observe(int sample) {
        if (currentLength == current.length) {
            current = Arrays.copyOf(current, current.length * 2);
        }
        current[currentLength++] = sample;
        int idx = sample < universe ? previousPosition[sample] : -1;
        if (idx >= 0 && lastIndex >= 0 && idx == lastIndex + 1) {
            run++;
        } else {
            run = idx >= 0 ? 1 : 0;
        }
        if (idx >= 0 && idx == currentLength - 1) {
            matchedInEpoch++;
        }
        lastIndex = idx;
        return run == threshold ? idx : -1;
    }

    /** True while the last {@code threshold} or more reads followed the previous order. */
    boolean inRun() {
        return run >= threshold;
    }

    /** The previous order from {@code from} on, as the given epoch, or null if there is none. */
    EpochOrder predictFrom(int from, int asEpoch) {
        if (previous.length == 0 || from >= previous.length) {
            return null;
        }
        return EpochOrder.of(asEpoch, Arrays.copyOfRange(previous, from, previous.length));
    }

    /** The whole previous order as the given epoch, if the last epoch repeated the one before it. */
    EpochOrder predictWholeEpoch(int asEpoch) {
        return previousRepeated && previous.length > 0 ? EpochOrder.of(asEpoch, previous.clone()) : null;
    }

    /** The epoch ended: what was read becomes the order to compare against. */
    void epochEnded() {
        if (currentLength == 0) {
            return;
        }
        previousRepeated = currentLength == previous.length && matchedInEpoch == currentLength;
        setPrevious(Arrays.copyOf(current, currentLength));
        currentLength = 0;
        lastIndex = -1;
        run = 0;
        matchedInEpoch = 0;
    }

    private void setPrevious(int[] order) {
        for (int s : previous) {
            if (s < universe) {
                previousPosition[s] = -1;
            }
        }
        previous = order;
        for (int i = order.length - 1; i >= 0; i--) {
            if (order[i] < universe) {
                previousPosition[order[i]] = i;
            }
        }
    }
}
