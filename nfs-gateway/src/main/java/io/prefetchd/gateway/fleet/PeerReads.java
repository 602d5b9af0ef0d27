package io.prefetchd.gateway.fleet;

import java.util.concurrent.CompletableFuture;

/**
 * Reads from other members' caches. A future failing with an {@link io.grpc.StatusRuntimeException} carries the
 * owner's answer (NOT_FOUND, FAILED_PRECONDITION for a changed object, PERMISSION_DENIED); any other failure means
 * the owner could not be asked or did not answer in time.
 *
 * <p>Implementations are thread-safe and do not block.
 */
interface PeerReads {
    CompletableFuture<PeerProtocol.ReadReply> read(Peer owner, PeerProtocol.ReadRequest request);
}
