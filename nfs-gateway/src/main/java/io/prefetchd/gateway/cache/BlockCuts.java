package io.prefetchd.gateway.cache;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How a range of an object is cut into blocks: the blocks already known (cached or in flight) where there are
 * some, and new blocks cut from the gaps between them, each from a grain line or a cut up to the next one
 * ({@link BlockBounds}). The cuts are the sample bounds the planner gave ({@link ExtentCache#cutAt}), so that
 * one sample's bytes never share a block with its neighbour's; blocks cut before a bound was known stay valid.
 *
 * <p>Thread-safe without the index's lock: an object's cuts are an immutable {@link CutSet}, replaced whole, so a
 * {@link #cover} that reads them once sees an {@link #add} wholly or not at all. {@link #cover} reads the table
 * and so needs the index's lock held.
 */
final class BlockCuts {
    /** A block of a range: tracked at {@code slot}, or new ({@code slot} -1). */
    record Covered(BlockKey key, int slot) {
    }

    private final int shift;
    private final Map<ObjectId, CutSet> cuts = new ConcurrentHashMap<>();

    /** @param grainShift log2 of the grain */
    BlockCuts(int grainShift) {
        this.shift = grainShift;
    }

    /**
     * The blocks covering {@code [offset, end)} of an object of {@code size} bytes, in order: those {@code table}
     * tracks, and new ones (not yet tracked) for the gaps, clipped to the gap. Blocks never cross a grain line, so
     * the blocks around any byte are those of its grain-aligned cell. Caller holds the index's lock.
     */
    List<Covered> cover(BlockTable table, ObjectId id, long size, long offset, long end) {
        CutSet objectCuts = cuts.get(id);
        List<Covered> out = new ArrayList<>(4);
        long pos = offset;
        long cell = -1;
        int[] known = {}; // replaced on the first pass: no cell is -1
        while (pos < end) {
            if (pos >>> shift != cell) {
                cell = pos >>> shift;
                known = table.cell(id.high(), id.low(), cell);
            }
            int i = 0; // the first known block of the cell that ends after pos
            while (i < known.length && table.end(known[i]) <= pos) {
                i++;
            }
            if (i < known.length && table.start(known[i]) <= pos) {
                out.add(new Covered(table.key(known[i]), known[i]));
                pos = table.end(known[i]);
                continue;
            }
            long gapStart = i > 0 ? table.end(known[i - 1]) : cell << shift;
            long limit = i < known.length ? table.start(known[i]) : size;
            long start = Math.max(gapStart, BlockBounds.start(objectCuts, shift, pos));
            long stop = Math.min(limit, BlockBounds.end(objectCuts, shift, start, size));
            out.add(new Covered(id.block(start, stop - start), -1));
            pos = stop;
        }
        return out;
    }

    /**
     * Adds cuts of an object to those it has ({@link CutSet#union}: a set equal to one it has replaces it). Cuts at
     * or outside the object's ends change nothing, since blocks end there anyway.
     */
    void add(ObjectId id, CutSet added) {
        cuts.merge(id, added, CutSet::union);
    }
}
