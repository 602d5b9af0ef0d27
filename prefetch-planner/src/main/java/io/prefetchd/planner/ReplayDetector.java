package io.prefetchd.planner;

import java.util.Arrays;
import java.util.BitSet;
import org.jspecify.annotations.Nullable;

/**
 * Detects an epoch that repeats the order of the previous one, for planning without hints.
 *
 * <p>We remember the last complete epoch's order and, per sample, its position there. A read is <em>in place</em>
 * when its sample sat within {@code slack} positions of the same place in the previous epoch. Concurrent readers
 * (a DataLoader's workers) interleave their reads, so a repeated order arrives locally permuted: the check is the
 * place, never "the successor of the previous read". After {@code threshold} in-place reads in a row, in a run that
 * began near the start of the epoch, the rest of the previous order is predicted to follow. The place is what tells
 * a replay from a coincidence: with shuffled shards, every shard is read in the same inner order each epoch, but at
 * another place, and predicting "the shard that followed last time" would prefetch the wrong shard at every
 * boundary (sequential read-ahead covers those reads instead); requiring the run to start the epoch leaves a false
 * positive only when one shard opens both epochs. A shuffled epoch puts a read in place by chance with probability
 * about {@code 2·slack/n}, so {@code slack} is capped at an eighth of the dataset and a run of {@code threshold}
 * is not a coincidence.
 * One read out of place ends the run; the engine drops a prediction that reads stop following. When a whole epoch
 * repeated the one before (all but {@code slack} of its reads in place), the next epoch is predicted from its first
 * read.
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
    private int run;
    private int runFurthest;
    private int runStart;
    private int matchedInEpoch;
    private boolean previousRepeated;

    ReplayDetector(int universe, int threshold, int slack) {
        this.universe = universe;
        this.threshold = threshold;
        // a shuffled epoch puts a read in place with probability about 2·slack/universe: at most 1/4, so that a run
        // of threshold in-place reads is never a coincidence, however large the engine's read slack
        this.slack = Math.min(slack, Math.max(1, universe / 8));
        this.previousPosition = new int[universe];
        Arrays.fill(previousPosition, -1);
    }

    /**
     * Seeds the history with an epoch observed earlier (from a trace), oldest first. An epoch that repeats the one
     * learned before it makes the next epoch predicted whole from its start, as one observed live would.
     */
    void learn(EpochOrder order) {
        int[] samples = order.toArray();
        int inPlace = 0;
        for (int i = 0; i < samples.length; i++) {
            if (inPlace(samples[i], i)) {
                inPlace++;
            }
        }
        previousRepeated = repeats(samples.length, inPlace);
        setPrevious(samples);
    }

    /**
     * Records a read.
     *
     * @return where in the previous order the prediction starts when the run just reached the threshold, or -1:
     *         its first sample not read yet in this epoch, so that a reader behind the others (reads interleave)
     *         still finds its sample in the prediction
     */
    int observe(int sample) {
        if (currentLength == current.length) {
            current = Arrays.copyOf(current, current.length * 2);
        }
        current[currentLength++] = sample;
        int position = currentLength - 1;
        if (!inPlace(sample, position)) {
            run = 0;
            return -1;
        }
        matchedInEpoch++;
        int idx = previousPosition[sample];
        if (run == 0) {
            runStart = position;
            runFurthest = idx;
        }
        run++;
        runFurthest = Math.max(runFurthest, idx);
        return run == threshold && runStart <= slack ? firstUnreadUpTo(runFurthest) : -1;
    }

    /** The first index of the previous order, up to {@code furthest + 1}, whose sample this epoch has not read. */
    private int firstUnreadUpTo(int furthest) {
        BitSet read = new BitSet();
        for (int i = 0; i < currentLength; i++) {
            read.set(current[i]);
        }
        for (int p = 0; p <= furthest; p++) {
            if (!read.get(previous[p])) {
                return p;
            }
        }
        return furthest + 1;
    }

    /** Whether {@code sample}, read at {@code position} of this epoch, sat near there in the previous one. */
    private boolean inPlace(int sample, int position) {
        int idx = sample >= 0 && sample < universe ? previousPosition[sample] : -1;
        return idx >= 0 && Math.abs(idx - position) <= slack;
    }

    /** Whether an epoch of {@code length} reads, {@code inPlace} of them in place, repeated the previous one. */
    private boolean repeats(int length, int inPlace) {
        return length > 0 && previous.length > 0 && Math.abs(length - previous.length) <= slack
                && length - inPlace <= slack;
    }

    /** The previous order from {@code from} on, as the given epoch, or null if there is none. */
    @Nullable EpochOrder predictFrom(int from, int asEpoch) {
        if (previous.length == 0 || from >= previous.length) {
            return null;
        }
        return EpochOrder.of(asEpoch, Arrays.copyOfRange(previous, from, previous.length));
    }

    /** The whole previous order as the given epoch, if the last epoch repeated the one before it. */
    @Nullable EpochOrder predictWholeEpoch(int asEpoch) {
        return previousRepeated && previous.length > 0 ? EpochOrder.of(asEpoch, previous.clone()) : null;
    }

    /** The epoch ended: what was read becomes the order to compare against. */
    void epochEnded() {
        if (currentLength == 0) {
            return;
        }
        previousRepeated = repeats(currentLength, matchedInEpoch);
        setPrevious(Arrays.copyOf(current, currentLength));
        currentLength = 0;
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
