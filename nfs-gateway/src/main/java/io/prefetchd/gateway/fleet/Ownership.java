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

    /** The key the fleet partitions grains by: equal on every member for the same grain of the same version. */
    static String partitionKey(ObjectVersion object, long grain) {
        return object.etag() + '/' + grain + '/' + object.key();
    }
}
