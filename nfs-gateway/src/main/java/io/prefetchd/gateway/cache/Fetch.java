package io.prefetchd.gateway.cache;

import java.util.concurrent.CompletableFuture;

/**
 * A block being fetched (or taken from an offer). {@code future} completes with exactly the block's bytes, which
 * readers take from memory at once; {@code stored} once the block is on disk or its write failed (prefetches wait
 * for that). {@code slot} is the block's slot in the {@link BlockTable} while it is tracked. The block stays in the
 * {@link BlockIndex}'s in-flight map from its claim until it is on disk or given up, so a later reader finds either
 * this fetch or the file, never a gap that would cost a second GET.
 */
final class Fetch {
    final BlockKey key;
    final int slot;
    final CompletableFuture<byte[]> future = new CompletableFuture<>();
    final CompletableFuture<Void> stored = new CompletableFuture<>();

    Fetch(BlockKey key, int slot) {
        this.key = key;
        this.slot = slot;
    }
}
