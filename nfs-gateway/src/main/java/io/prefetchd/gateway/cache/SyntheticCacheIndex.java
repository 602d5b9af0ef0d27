package io.prefetchd.gateway.cache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes the index of a cache of synthetic blocks, as a clean close would leave it, without the block files: for
 * benchmarks of what the index costs (open time, heap per block) at millions of blocks, where the blocks' bytes
 * do not matter. A {@link DiskExtentCache} opened on the folder counts the blocks as cached; reading one finds
 * no file and fetches it again, so nothing wrong is ever served.
 */
public final class SyntheticCacheIndex {
    /** The header length recorded for every synthetic block (a short bucket and key, an S3-style ETag). */
    public static final int HEADER_BYTES = 120;

    private SyntheticCacheIndex() {
    }

    /**
     * Writes the index of {@code blocks} whole-grain blocks into the cache folder {@code dir}, {@code
     * blocksPerObject} consecutive blocks per object, object ids from {@code seed}.
     *
     * @return the bytes of block files the index accounts for (headers included): the capacity to open it with
     */
    public static long write(Path dir, int grainBytes, long blocks, int blocksPerObject, long seed) throws IOException {
        if (blocks < 0 || blocks > Integer.MAX_VALUE || blocksPerObject < 1) {
            throw new IllegalArgumentException("blocks=" + blocks + " blocksPerObject=" + blocksPerObject);
        }
        Path root = Files.createDirectories(dir.resolve(DiskExtentCache.LAYOUT_PREFIX + grainBytes));
        SplittableRandom random = new SplittableRandom(seed);
        IndexFile.checkpoint(root, grainBytes, 1, out -> {
            long hi = 0;
            long lo = 0;
            for (long b = 0; b < blocks; b++) {
                int within = (int) (b % blocksPerObject);
                if (within == 0) {
                    hi = random.nextLong();
                    lo = random.nextLong();
                }
                out.put(hi, lo, (long) within * grainBytes, grainBytes, HEADER_BYTES, false);
            }
        }, false).close();
        return blocks * (grainBytes + (long) HEADER_BYTES);
    }
}
