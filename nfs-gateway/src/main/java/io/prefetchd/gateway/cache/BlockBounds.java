package io.prefetchd.gateway.cache;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Where the cache's blocks begin and end within an object: at every multiple of the grain and at every cut (the
 * sample bounds given to {@link ExtentCache#cutAt}), and at the object's end. The cache cuts new blocks with these
 * bounds, and the prefetch planner's view of a dataset uses the same ones, so the two agree on what a block is.
 */
public final class BlockBounds {
    private BlockBounds() {
    }

    /**
     * The start of the block holding byte {@code pos}: the last grain line or cut at or before it.
     *
     * @param cuts sorted, distinct offsets, or null for none
     * @param grainShift log2 of the grain
     */
    public static long start(long @Nullable [] cuts, int grainShift, long pos) {
        long line = pos >>> grainShift << grainShift;
        if (cuts == null) {
            return line;
        }
        int i = Arrays.binarySearch(cuts, pos);
        int at = i >= 0 ? i : -i - 2; // last cut <= pos
        return at >= 0 ? Math.max(line, cuts[at]) : line;
    }

    /** The end of the block that holds byte {@code pos}: the next grain line, cut or {@code size} after it. */
    public static long end(long @Nullable [] cuts, int grainShift, long pos, long size) {
        long line = Math.min(size, ((pos >>> grainShift) + 1) << grainShift);
        if (cuts == null) {
            return line;
        }
        int i = Arrays.binarySearch(cuts, pos);
        int at = i >= 0 ? i + 1 : -i - 1; // first cut > pos
        return at < cuts.length ? Math.min(line, cuts[at]) : line;
    }
}
