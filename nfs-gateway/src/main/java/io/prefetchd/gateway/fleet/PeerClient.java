package io.prefetchd.gateway.fleet;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.prefetchd.gateway.BearerToken;
import org.jspecify.annotations.Nullable;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * The reading side of the peer data channel: one gRPC channel per member (HTTP/2 multiplexes the reads), each read
 * bounded by the peer timeout. Channels of members that left are shut down ({@link #forget}).
 *
 * <p>Thread-safe.
 */
final class PeerClient implements PeerReads, AutoCloseable {
    private final Duration timeout;
    private final String token;
    private final ConcurrentMap<String, Channel> channels = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** A member's channel, tied to the member id so that a restarted member at the same address gets a new one. */
    private record Channel(String memberId, ManagedChannel channel) {
    }

    /** @param token the fleet's shared secret, sent with every call; empty for none */
    PeerClient(Duration timeout, String token) {
        this.timeout = requireNonNull(timeout, "timeout is null");
        this.token = requireNonNull(token, "token is null");
    }

    @Override
    public CompletableFuture<PeerProtocol.ReadReply> read(Peer owner, PeerProtocol.ReadRequest request) {
        CompletableFuture<PeerProtocol.ReadReply> reply = new CompletableFuture<>();
        if (closed) {
            reply.completeExceptionally(new IllegalStateException("the fleet's peer client is closed"));
            return reply;
        }
        ManagedChannel channel = channels.compute(owner.address(), (a, c) -> c != null && c.memberId().equals(owner.id())
                ? c : replace(c, owner, token)).channel();
        ClientCalls.asyncUnaryCall(channel.newCall(PeerProtocol.READ,
                CallOptions.DEFAULT.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)), request,
                new StreamObserver<>() {
                    @Override
                    public void onNext(PeerProtocol.ReadReply value) {
                        reply.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        reply.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        if (!reply.isDone()) {
                            reply.completeExceptionally(new IllegalStateException("peer read ended without a reply"));
                        }
                    }
                });
        return reply;
    }

    private static Channel replace(@Nullable Channel old, Peer owner, String token) {
        if (old != null) {
            old.channel().shutdownNow();
        }
        NettyChannelBuilder b = NettyChannelBuilder.forAddress(owner.host(), owner.port())
                .usePlaintext()
                .maxInboundMessageSize(PeerProtocol.MAX_MESSAGE);
        if (!token.isEmpty()) {
            b.intercept(BearerToken.sent(token));
        }
        return new Channel(owner.id(), b.build());
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
