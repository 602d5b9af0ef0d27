package io.prefetchd.gateway.cache;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Byte ranges of S3 objects, served from local disk when cached and fetched (then cached) when not.
 *
 * <p>Implementations are thread-safe.
 */
public interface ExtentCache extends AutoCloseable {

    /**
     * Exactly {@code min(length, size - offset)} bytes of that object version starting at {@code offset}
     * (empty at or after EOF). Blocks until the bytes are there.
     *
     * @throws io.prefetchd.gateway.s3.ObjectStoreException when the object store cannot deliver them
     *     (CHANGED when the object no longer has this ETag, NOT_FOUND when it is gone, THROTTLED/UNAVAILABLE
     *     when trying later may help)
     * @throws IllegalStateException after {@link #close()}
     */
    default byte[] read(ObjectVersion object, long offset, int length) {
        return readTracked(object, offset, length).data();
    }

    /** As {@link #read}, saying how the bytes were served. */
    CachedRead readTracked(ObjectVersion object, long offset, int length);

    /**
     * As {@link #readTracked}, without waiting: the blocks on disk are read now, the missing ones are fetched (or
     * joined), and the future completes when the last of them arrives, on whichever thread delivered it (an S3
     * client's: do no more there than hand the bytes on). It completes exceptionally with what
     * {@link #readTracked} would throw, wrapped in a {@link java.util.concurrent.CompletionException}.
     * The default waits in {@link #readTracked}; a cache that fetches overrides it.
     *
     * @throws IllegalStateException after {@link #close()}
     */
    default CompletableFuture<CachedRead> readAsync(ObjectVersion object, long offset, int length) {
        try {
            return CompletableFuture.completedFuture(readTracked(object, offset, length));
        } catch (IllegalStateException | IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Bytes read and how: {@code missedBlocks} of the read's blocks were neither on disk nor already in memory
     * and were waited for (fetched by this read or by a concurrent one), for {@code waitNanos} in all. A block
     * whose GET had completed but which was still being written counts as served without waiting.
     */
    record CachedRead(byte[] data, int missedBlocks, long waitNanos) {}

    /**
     * Starts fetching the blocks of {@code [offset, offset + length)} (clipped to the object) that are neither on
     * disk nor in flight, one ranged GET per run of neighbours, and returns at once. Blocks someone else is
     * fetching are joined, not fetched twice. With {@code hold}, every block of the range is <em>held</em>: the
     * cache's own eviction passes it over until {@link #release} (the prefetch planner decides when it goes).
     *
     * @return completes when every block of the range is on disk, or exceptionally with the
     *     {@link io.prefetchd.gateway.s3.ObjectStoreException} of a GET that failed or an {@link java.io.IOException}
     *     naming a block that arrived but could not be cached (no room, or the write failed)
     * @throws IllegalStateException after {@link #close()}
     */
    CompletableFuture<Void> prefetch(ObjectVersion object, long offset, long length, boolean hold);

    /**
     * Ends the hold on the blocks of the range; with {@code drop} they are also deleted at once (blocks in flight
     * are left to land and then age out), otherwise they join the eviction order as just used.
     */
    void release(ObjectVersion object, long offset, long length, boolean drop);

    /** The object's blocks that are on disk now (for adopting a cache after a restart), by offset. */
    List<Range> cachedRanges(ObjectVersion object);

    /**
     * The object's blocks on disk now that lie in {@code [from, to)} (a block never crosses a grain line, so those
     * of the grains the range touches), by offset. Its cost grows with the range, not with the object.
     */
    default List<Range> cachedRanges(ObjectVersion object, long from, long to) {
        return cachedRanges(object).stream().filter(r -> r.offset() < to && r.offset() + r.length() > from).toList();
    }

    /**
     * Says where the object's samples begin and end (from a dataset index): blocks fetched from now on end at these
     * offsets as well as at grain lines, so that one sample's bytes never share a block with its neighbour's and
     * a sample is fetched, held and dropped on its own. Offsets outside {@code (0, size)} are ignored; calls add to
     * earlier ones. Blocks already cached keep their bounds.
     */
    default void cutAt(ObjectVersion object, long[] offsets) {
        cutAt(object, CutSet.of(offsets));
    }

    /**
     * As {@link #cutAt(ObjectVersion, long[])}, the cuts given as a set the cache asks by neighbour and keeps as it
     * is (a view of a mapped dataset index costs the cache nothing per sample); a set {@link CutSet#equals equal}
     * to one given before replaces it.
     */
    void cutAt(ObjectVersion object, CutSet cuts);

    /**
     * The largest block: ranges are fetched, stored and evicted in whole blocks, which start and end at multiples
     * of the grain or at the offsets given to {@link #cutAt}.
     */
    int grainBytes();

    /** Where {@link #offer}ed bytes come from: exactly {@code length} bytes at {@code offset}. */
    @FunctionalInterface
    interface ByteSource {
        byte[] read(long offset, int length) throws Exception;
    }

    /**
     * Caches the whole of {@code object} from {@code source}, which holds exactly that version's bytes (a file the
     * gateway just uploaded as that version), as if it had been fetched: reading it back then downloads nothing.
     * Blocks already cached or being fetched are left alone; when {@code source} fails, the blocks not yet taken
     * from it are fetched from the store instead. Returns once the blocks are on disk (or could not be cached).
     *
     * @return whether every block taken from {@code source} was cached; false as well when the cache does not
     *     take offers (the default)
     */
    default boolean offer(ObjectVersion object, ByteSource source) {
        return false;
    }

    /**
     * {@code to} holds exactly {@code from}'s bytes: a server-side copy, made while {@code from} still exists (a
     * rename in S3 is a copy, then a delete). When this gateway's own cache holds {@code from} whole, the bytes are
     * cached as {@code to} from local disk (nothing is asked of S3 or of a fleet's other members); {@code from}'s
     * blocks are dropped either way, as its key is about to go.
     *
     * @return whether {@code to} is now cached whole; false as well when the cache does not carry (the default)
     */
    default boolean carry(ObjectVersion from, ObjectVersion to) {
        return false;
    }

    /** Bytes {@code [offset, offset + length)} of an object. */
    record Range(long offset, long length) {}

    CacheStats stats();

    /** Waits (bounded) for fetches in flight to land on disk, then releases the cache directory. */
    @Override
    void close();
}
