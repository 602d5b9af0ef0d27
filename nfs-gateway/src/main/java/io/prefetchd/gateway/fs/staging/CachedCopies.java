package io.prefetchd.gateway.fs.staging;

import io.prefetchd.gateway.cache.ExtentCache;
import io.prefetchd.gateway.cache.ObjectVersion;
import io.prefetchd.gateway.s3.ObjectMeta;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Carries an object's cached bytes over to its server-side copy, which a rename of an uploaded file or folder makes:
 * the read cache knows blocks by key and ETag, so without this a checkpoint renamed into place after its upload is
 * downloaded again when read back. Only an object cached whole is carried (a part of one would be the part a reader
 * wanted before; the rest is fetched as any read would fetch it); the copy's blocks are written from the source's,
 * on local disk, and the source's blocks are then dropped, since its key is about to be deleted.
 *
 * <p>Thread-safe, as the cache is. Called between the copy and the delete of the source, so a block evicted meanwhile
 * can still be fetched from the source's key.
 */
final class CachedCopies {
    private static final Logger LOG = LoggerFactory.getLogger(CachedCopies.class);

    private final ExtentCache cache;

    CachedCopies(ExtentCache cache) {
        this.cache = requireNonNull(cache, "cache is null");
    }

    /** {@code to} is a server-side copy of {@code source} (the same bytes): what the cache holds of it is now {@code to}'s. */
    void copied(ObjectVersion source, ObjectMeta to) {
        ObjectVersion copy = new ObjectVersion(to.key(), to.etag(), to.size());
        if (source.size() != to.size() || source.size() == 0 || !cachedWhole(source)) {
            return;
        }
        try {
            cache.offer(copy, (offset, length) -> cache.read(source, offset, length));
            cache.release(source, 0, source.size(), true);
        } catch (RuntimeException e) {
            LOG.warn("the cached bytes of s3://{} could not be carried to its copy {}; it is fetched when read: {}",
                    source.key(), to.key(), e.toString());
        }
    }

    private boolean cachedWhole(ObjectVersion object) {
        long next = 0;
        for (ExtentCache.Range r : cache.cachedRanges(object)) {
            if (r.offset() > next) {
                return false;
            }
            next = Math.max(next, r.offset() + r.length());
        }
        return next >= object.size();
    }
}
