package io.prefetchd.gateway.s3;

import static java.util.Objects.requireNonNull;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One page of a ListObjectsV2 listing.
 *
 * @param objects the objects on this page, in UTF-8 byte order of their keys
 * @param commonPrefixes the "directories" on this page (prefix up to and including the delimiter), in order
 * @param nextToken the token to pass to get the next page, or {@code null} when this is the last page
 */
public record ListPage(List<ObjectMeta> objects, List<String> commonPrefixes, @Nullable String nextToken) {
    public ListPage {
        objects = List.copyOf(requireNonNull(objects, "objects is null"));
        commonPrefixes = List.copyOf(requireNonNull(commonPrefixes, "commonPrefixes is null"));
    }

    /** True when there are no further pages. */
    public boolean isLast() {
        return nextToken == null;
    }
}
