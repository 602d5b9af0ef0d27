package io.prefetchd.gateway.fleet;

import io.prefetchd.gateway.cache.ObjectVersion;
import org.jspecify.annotations.Nullable;

/**
 * Who owns each grain of each object version: the member whose cache holds it for the fleet.
 *
 * <p>Ownership is by grain ({@code offset >>> grainShift}): the cache's blocks never cross a grain line, so each
 * block has exactly one owner, and every member computes the same owner from the same membership.
 *
 * <p>Implementations are thread-safe.
 */
interface Ownership {

    /**
     * The member that owns grain {@code grain} of {@code object}, or null when this gateway owns it or no owner is
     * known right now (while the fleet forms or re-forms: the read then stays local, which is always correct).
     */
    @Nullable Peer remoteOwner(ObjectVersion object, long grain);

    /**
     * The member grain {@code grain} of version {@code etag} of {@code key} moved away from, when it moved to this
     * member recently and that member is still in the fleet (it may still hold the grain), else null.
     */
    default @Nullable Peer previousOwner(String key, String etag, long grain) {
        return null;
    }

    /** Whether any grain moved to this member recently enough for {@link #previousOwner} to name its old owner. */
    default boolean anyMovedHere() {
        return false;
    }

    /** The key the fleet partitions grains by: equal on every member for the same grain of the same version. */
    static String partitionKey(ObjectVersion object, long grain) {
        return partitionKey(object.key(), object.etag(), grain);
    }

    /** As {@link #partitionKey(ObjectVersion, long)}, for version {@code etag} of {@code key}. */
    static String partitionKey(String key, String etag, long grain) {
        return etag + '/' + grain + '/' + key;
    }
}
