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
 * downloaded again when read back. As for uploads, only objects up to a quarter of the cache, so that renaming a
 * large file does not flush a dataset's working set; only an object cached whole is carried
 * ({@link ExtentCache#carry}), and the source's blocks are dropped in every case, since its key is about to go.
 *
 * <p>Thread-safe, as the cache is. Called between the copy and the delete of the source.
 */
final class CachedCopies {
    private static final Logger LOG = LoggerFactory.getLogger(CachedCopies.class);

    private final ExtentCache cache;

    CachedCopies(ExtentCache cache) {
        this.cache = requireNonNull(cache, "cache is null");
    }

    /** {@code to} is a server-side copy of {@code source}: what the cache holds of the source becomes the copy's. */
    void copied(ObjectVersion source, ObjectMeta to) {
        try {
            if (AfterUpload.tooLarge(cache, source.size())) {
                cache.release(source, 0, source.size(), true);
                return;
            }
            cache.carry(source, new ObjectVersion(to.key(), to.etag(), to.size()));
        } catch (RuntimeException e) {
            LOG.warn("the cached bytes of {} could not be carried to its copy {}; it is fetched when read: {}",
                    source.key(), to.key(), e.toString());
        }
    }
}
