package io.prefetchd.gateway.hints;

import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.prefetchd.gateway.BearerToken;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * The hint API's listener: a plain grpc-java server (grpc-netty-shaded) on {@code prefetchd.grpc.bind:port},
 * the daemon's common address by default ({@code prefetchd.bind}), with optional TLS (PEM certificate chain and
 * PKCS#8 key), an optional bearer token and a bounded message size.
 */
public final class HintServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HintServer.class);

    private final Server server;
    private final HintService service;

    private HintServer(Server server, HintService service) {
        this.server = server;
        this.service = service;
    }

    /**
     * Where and how the hint API listens.
     *
     * @param bind           the address to listen on
     * @param port           the TCP port, 0 for any free one
     * @param token          the bearer token calls must carry, blank for none
     * @param maxMessageSize the largest request accepted, in bytes
     * @param tlsCert        PEM certificate chain, blank for plaintext; goes with {@code tlsKey}
     * @param tlsKey         PEM private key (PKCS#8, unencrypted) of {@code tlsCert}, blank for plaintext
     */
    public record Listen(String bind, int port, String token, int maxMessageSize, String tlsCert, String tlsKey) {
        public Listen {
            requireNonNull(bind, "bind is null");
            requireNonNull(token, "token is null");
            requireNonNull(tlsCert, "tlsCert is null");
            requireNonNull(tlsKey, "tlsKey is null");
            if (port < 0 || port > 65535 || maxMessageSize < 1024) {
                throw new IllegalArgumentException("not a TCP port (" + port + ") or a message size under 1 KiB ("
                        + maxMessageSize + ")");
            }
        }

        /** Plaintext, no token, 4 MiB messages. */
        public static Listen plain(String bind, int port) {
            return new Listen(bind, port, "", 4 << 20, "", "");
        }
    }

    /**
     * Starts listening. A listener that cannot start (the port is taken, the TLS files are missing or unreadable)
     * throws {@link IllegalStateException} with a message that names the setting.
     */
    public static HintServer start(Listen c, HintService service) {
        InetSocketAddress address = new InetSocketAddress(c.bind(), c.port());
        ServerCredentials tls = tls(c);
        var builder = (tls == null ? NettyServerBuilder.forAddress(address) : NettyServerBuilder.forAddress(address, tls))
                .maxInboundMessageSize(c.maxMessageSize());
        builder.addService(c.token().isBlank() ? ServerInterceptors.intercept(service)
                : ServerInterceptors.intercept(service, BearerToken.required(c.token())));
        try {
            Server server = builder.build().start();
            LOG.info("hint API (gRPC prefetchd.v1.Hints) on {}:{}{}{}", c.bind(), server.getPort(),
                    tls == null ? "" : " over TLS", c.token().isBlank() ? "" : " with a bearer token");
            return new HintServer(server, service);
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen for gRPC on " + c.bind() + ":" + c.port() + ": "
                    + e.getMessage(), e);
        }
    }

    /** TLS credentials from {@code tls-cert}/{@code tls-key} (PEM), or null for plaintext. */
    static @Nullable ServerCredentials tls(Listen c) {
        if (c.tlsCert().isBlank() && c.tlsKey().isBlank()) {
            return null;
        }
        if (c.tlsCert().isBlank() || c.tlsKey().isBlank()) {
            throw new IllegalStateException("prefetchd.grpc.tls-cert and prefetchd.grpc.tls-key go together");
        }
        try {
            return TlsServerCredentials.create(new File(c.tlsCert()), new File(c.tlsKey()));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot use prefetchd.grpc.tls-cert " + c.tlsCert() + " and tls-key "
                    + c.tlsKey() + ": " + e.getMessage(), e);
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
}
