package io.prefetchd.planner;

import java.util.Arrays;

/**
 * Detects an epoch that repeats the order of the previous one, for planning without hints.
 *
 * <p>We remember the last complete epoch's order and, per sample, its position there. A read continues a run when
 * the sample sits right after the previous read's sample in that order <em>and</em> at about the same place in the
 * epoch (within {@code slack} positions, so a few skipped or reordered reads do not matter); after
 * {@code threshold} reads in a row, in a run that began near the start of the epoch, the rest of the previous
 * order is predicted to follow. The place matters: with shuffled shards, every shard is read in the same inner
 * order each epoch, and predicting "the shard that followed last time" would prefetch the wrong shard at every
 * boundary (sequential read-ahead covers those reads instead); requiring the run to start the epoch leaves a
 * false positive only when one shard opens both epochs.
 * One mismatch ends the run and the prediction. When a whole epoch repeated the one before, the next epoch is
 * predicted from its first read.
 *
 * <p>Memory: two int arrays of the epoch length and one of the dataset size. Not thread-safe; owned by one engine.
 */
final class ReplayDetector {
    private final int universe;
    private final int threshold;
    private final int slack;
    private int[] previous = new int[0];
    private int[] previousPosition;
    private int[] current = new int[1024];
    private int currentLength;
    private int lastIndex = -1;
    private int run;
    private int runStart;
    private int matchedInEpoch;
    private boolean previousRepeated;

    ReplayDetector(int universe, int threshold, int slack) {
        this.universe = universe;
        this.threshold = threshold;
        this.slack = slack;
        this.previousPosition = new int[universe];
        Arrays.fill(previousPosition, -1);
    }

    /**
     * Seeds the history with an epoch observed earlier (from a trace), oldest first. An epoch that repeats the one
     * learned before it makes the next epoch predicted whole from its start, as one observed live would.
     */
    void learn(EpochOrder order) {
        int[] samples = order.toArray();
        previousRepeated = samples.length > 0 && Arrays.equals(samples, previous);
        setPrevious(samples);
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
        int position = currentLength - 1;
        if (idx >= 0 && Math.abs(idx - position) > slack) {
            idx = -1; // same neighbours, different place in the epoch: a shard or file read again, not a replay
        }
        if (idx >= 0 && lastIndex >= 0 && idx == lastIndex + 1) {
            run++;
        } else {
            run = idx >= 0 ? 1 : 0;
            runStart = position;
        }
        if (idx >= 0 && idx == currentLength - 1) {
            matchedInEpoch++;
        }
        lastIndex = idx;
        return run == threshold && runStart <= slack ? idx : -1;
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
