package io.prefetchd.gateway;

import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

import static java.util.Objects.requireNonNull;

/**
 * A shared secret on a gRPC channel, as metadata {@code authorization: Bearer <token>}: the server side refuses a
 * call without it (or with another) with UNAUTHENTICATED, comparing in constant time; the client side adds it to
 * every call. The token travels in clear unless the channel has TLS, so it keeps out callers that cannot read the
 * network, not those that can. Never logged.
 */
public final class BearerToken {
    public static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private BearerToken() {
    }

    /** The server side: calls must carry {@code token}. */
    public static ServerInterceptor required(String token) {
        return new Check(header(token));
    }

    /** The client side: every call carries {@code token}. */
    public static ClientInterceptor sent(String token) {
        Metadata m = new Metadata();
        m.put(AUTHORIZATION, header(token));
        return MetadataUtils.newAttachHeadersInterceptor(m);
    }

    private static String header(String token) {
        requireNonNull(token, "token is null");
        if (token.isBlank()) {
            throw new IllegalArgumentException("a bearer token must not be blank");
        }
        return "Bearer " + token;
    }

    private record Check(String expected) implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                           ServerCallHandler<Q, R> next) {
            String got = headers.get(AUTHORIZATION);
            if (got == null || !MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                    got.getBytes(StandardCharsets.UTF_8))) {
                call.close(Status.UNAUTHENTICATED.withDescription(got == null ? "missing authorization: Bearer token"
                        : "wrong bearer token"), new Metadata());
                return new ServerCall.Listener<>() {
                };
            }
            return next.startCall(call, headers);
        }

        @Override
        public String toString() {
            return "BearerToken.Check";   // the record's own would print the token
        }
    }
}
