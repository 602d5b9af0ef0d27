package io.prefetchd.gateway.s3api;

import org.gaul.s3proxy.S3Proxy;
import org.gaul.shaded.org.eclipse.jetty.server.Handler;
import org.gaul.shaded.org.eclipse.jetty.server.Request;
import org.gaul.shaded.org.eclipse.jetty.server.Response;
import org.gaul.shaded.org.eclipse.jetty.server.Server;
import org.gaul.shaded.org.eclipse.jetty.util.Callback;

import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The address of the client whose request the current thread serves, so that the bucket can apply the client's
 * export rule: S3Proxy hands its store the request's contents but not its peer. A handler put in front of S3Proxy's
 * own (in the Jetty server S3Proxy builds, which it does not expose, hence the reflection) notes the address for
 * the duration of the request; S3Proxy serves a request on the thread that took it.
 *
 * <p>Thread-safe: one value per thread.
 */
final class ClientAddress {
    private final ThreadLocal<InetAddress> current = new ThreadLocal<>();

    /** The client of the request this thread serves; empty off a request's thread. */
    Optional<InetAddress> current() {
        return Optional.ofNullable(current.get());
    }

    /**
     * Puts the noting handler in front of {@code proxy}'s, before it starts.
     *
     * @throws IllegalStateException when this S3Proxy is not built as expected
     */
    void install(S3Proxy proxy) {
        Server server;
        try {
            Field f = S3Proxy.class.getDeclaredField("server");
            f.setAccessible(true);
            server = (Server) f.get(proxy);
        } catch (ReflectiveOperationException | ClassCastException | SecurityException e) {
            throw new IllegalStateException("this S3Proxy does not expose its Jetty server as expected: " + e, e);
        }
        Handler inner = server.getHandler();
        server.setHandler(new Handler.Wrapper(inner) {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                current.set(address(Request.getRemoteAddr(request)));
                try {
                    return super.handle(request, response, callback);
                } finally {
                    current.remove();
                }
            }
        });
    }

    private static @Nullable InetAddress address(@Nullable String literal) {
        try {
            return literal == null ? null : InetAddress.getByName(literal);   // a literal: no name lookup
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
