package io.prefetchd.gateway.cache;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * One block of a read's range as the {@link BlockIndex} found it: a file to read ({@code slot} of a cached block,
 * {@code pending} null), or bytes on their way ({@code pending}). {@code arrived} says a fetch someone else started
 * had already returned its bytes when this read asked, so the read does not count as having waited for it.
 */
record ReadPart(BlockKey key, int slot, @Nullable CompletableFuture<byte[]> pending, boolean arrived) {

    boolean onDisk() {
        return pending == null;
    }

    /** The bytes on their way, for a part not {@link #onDisk}. */
    CompletableFuture<byte[]> fetch() {
        return requireNonNull(pending, "a block on disk has no fetch");
    }
}
