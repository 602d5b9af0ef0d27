package io.prefetchd.gateway.cache;

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
     * @param cuts the object's cuts, or null for none
     * @param grainShift log2 of the grain
     */
    public static long start(@Nullable CutSet cuts, int grainShift, long pos) {
        long line = pos >>> grainShift << grainShift;
        return cuts == null ? line : Math.max(line, cuts.floor(pos));
    }

    /** The end of the block that holds byte {@code pos}: the next grain line, cut or {@code size} after it. */
    public static long end(@Nullable CutSet cuts, int grainShift, long pos, long size) {
        long line = Math.min(size, ((pos >>> grainShift) + 1) << grainShift);
        return cuts == null ? line : Math.min(line, cuts.higher(pos));
    }
}
