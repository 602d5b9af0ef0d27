package io.prefetchd.gateway.fleet;

import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import org.jspecify.annotations.Nullable;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static java.util.Objects.requireNonNull;

/**
 * The reading side of the peer data channel: one gRPC channel per member (HTTP/2 multiplexes the reads), each read
 * bounded by the peer timeout. Channels of members that left are shut down ({@link #forget}).
 *
 * <p>Thread-safe.
 */
final class PeerClient implements PeerReads, AutoCloseable {
    private final Duration timeout;
    private final PeerAuth auth;
    private final ConcurrentMap<String, Channel> channels = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** A member's channel, tied to the member id so that a restarted member at the same address gets a new one. */
    private record Channel(String memberId, ManagedChannel channel) {
    }

    /** @param auth what every read is signed with, and every reply must be */
    PeerClient(Duration timeout, PeerAuth auth) {
        this.timeout = requireNonNull(timeout, "timeout is null");
        this.auth = requireNonNull(auth, "auth is null");
    }

    @Override
    public CompletableFuture<PeerProtocol.ReadReply> read(Peer owner, PeerProtocol.ReadRequest request) {
        CompletableFuture<PeerProtocol.ReadReply> reply = new CompletableFuture<>();
        if (closed) {
            reply.completeExceptionally(new IllegalStateException("the fleet's peer client is closed"));
            return reply;
        }
        io.grpc.Channel channel = channels.compute(owner.address(), (a, c) -> c != null
                && c.memberId().equals(owner.id()) ? c : replace(c, owner)).channel();
        PeerAuth.Signed signed = auth.enabled() ? auth.sign(request) : null;
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        if (signed != null) {
            Metadata headers = new Metadata();
            headers.put(PeerAuth.HEADER, signed.header());
            channel = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers),
                    MetadataUtils.newCaptureMetadataInterceptor(new AtomicReference<>(), trailers));
        }
        ClientCalls.asyncUnaryCall(channel.newCall(PeerProtocol.READ,
                CallOptions.DEFAULT.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)), request,
                new StreamObserver<>() {
                    private PeerProtocol.@Nullable ReadReply received;

                    @Override
                    public void onNext(PeerProtocol.ReadReply value) {
                        received = value;
                    }

                    @Override
                    public void onError(Throwable t) {
                        reply.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        PeerProtocol.ReadReply r = received;
                        if (r == null) {
                            reply.completeExceptionally(new IllegalStateException("peer read ended without a reply"));
                        } else if (signed != null && !auth.verifyReply(signature(trailers.get()), signed.mac(), r)) {
                            reply.completeExceptionally(Status.UNAUTHENTICATED.withDescription("the reply of "
                                    + owner.address() + " is not signed with this fleet's token").asRuntimeException());
                        } else {
                            reply.complete(r);
                        }
                    }
                });
        return reply;
    }

    private static @Nullable String signature(@Nullable Metadata trailers) {
        return trailers == null ? null : trailers.get(PeerAuth.HEADER);
    }

    private static Channel replace(@Nullable Channel old, Peer owner) {
        if (old != null) {
            old.channel().shutdownNow();
        }
        return new Channel(owner.id(), NettyChannelBuilder.forAddress(owner.host(), owner.port())
                .usePlaintext()
                .maxInboundMessageSize(PeerProtocol.MAX_MESSAGE)
                .build());
    }

    /** Shuts the channel of a member that left. */
    void forget(String memberId) {
        channels.values().removeIf(c -> {
            if (c.memberId().equals(memberId)) {
                c.channel().shutdownNow();
                return true;
            }
            return false;
        });
    }

    @Override
    public void close() {
        closed = true;
        channels.values().forEach(c -> c.channel().shutdownNow());
        channels.clear();
    }
}
