package io.prefetchd.gateway.hints;

import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.prefetchd.gateway.daemon.GatewayConfig;
import io.prefetchd.gateway.daemon.StartupException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.TimeUnit;

/**
 * The hint API's listener: a plain grpc-java server (grpc-netty-shaded) on {@code prefetchd.grpc.bind:port},
 * the daemon's common address by default ({@code prefetchd.bind}), with optional TLS (PEM certificate chain and
 * PKCS#8 key), an optional bearer token and a bounded message size.
 */
public final class HintServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HintServer.class);
    static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final Server server;
    private final HintService service;

    private HintServer(Server server, HintService service) {
        this.server = server;
        this.service = service;
    }

    public static HintServer start(GatewayConfig.Grpc c, HintService service) {
        if (c.getPort() < 0 || c.getPort() > 65535) {
            throw new StartupException("prefetchd.grpc.port must be a TCP port, not " + c.getPort());
        }
        if (c.getMaxMessageSize() < 1024) {
            throw new StartupException("prefetchd.grpc.max-message-size must be at least 1024, not "
                    + c.getMaxMessageSize());
        }
        InetSocketAddress address = new InetSocketAddress(c.getBind(), c.getPort());
        ServerCredentials tls = tls(c);
        var builder = (tls == null ? NettyServerBuilder.forAddress(address) : NettyServerBuilder.forAddress(address, tls))
                .maxInboundMessageSize(c.getMaxMessageSize());
        builder.addService(c.getToken().isBlank() ? ServerInterceptors.intercept(service)
                : ServerInterceptors.intercept(service, new BearerToken(c.getToken())));
        try {
            Server server = builder.build().start();
            LOG.info("hint API (gRPC prefetchd.v1.Hints) on {}:{}{}{}", c.getBind(), server.getPort(),
                    tls == null ? "" : " over TLS", c.getToken().isBlank() ? "" : " with a bearer token");
            return new HintServer(server, service);
        } catch (IOException e) {
            throw new StartupException("cannot listen for gRPC on " + c.getBind() + ":" + c.getPort() + ": "
                    + e.getMessage(), e);
        }
    }

    /** TLS credentials from {@code tls-cert}/{@code tls-key} (PEM), or null for plaintext. */
    static @Nullable ServerCredentials tls(GatewayConfig.Grpc c) {
        if (c.getTlsCert().isBlank() && c.getTlsKey().isBlank()) {
            return null;
        }
        if (c.getTlsCert().isBlank() || c.getTlsKey().isBlank()) {
            throw new StartupException("prefetchd.grpc.tls-cert and prefetchd.grpc.tls-key go together");
        }
        try {
            return TlsServerCredentials.create(new File(c.getTlsCert()), new File(c.getTlsKey()));
        } catch (IOException | RuntimeException e) {
            throw new StartupException("cannot use prefetchd.grpc.tls-cert " + c.getTlsCert() + " and tls-key "
                    + c.getTlsKey() + ": " + e.getMessage(), e);
        }
    }

    public int port() {
        return server.getPort();
    }

    public HintService service() {
        return service;
    }

    @Override
    public void close() {
        server.shutdown();
        try {
            if (!server.awaitTermination(2, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** Refuses calls without {@code authorization: Bearer <token>} with UNAUTHENTICATED. */
    static final class BearerToken implements ServerInterceptor {
        private final byte[] expected;

        BearerToken(String token) {
            this.expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                           ServerCallHandler<Q, R> next) {
            String got = headers.get(AUTHORIZATION);
            if (got == null || !MessageDigest.isEqual(expected, got.getBytes(StandardCharsets.UTF_8))) {
                call.close(Status.UNAUTHENTICATED.withDescription(got == null ? "missing authorization: Bearer token"
                        : "wrong bearer token"), new Metadata());
                return new ServerCall.Listener<>() {
                };
            }
            return next.startCall(call, headers);
        }
    }
}
