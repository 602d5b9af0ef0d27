package io.prefetchd.gateway.daemon;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ServerFilter;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The admin HTTP API's optional bearer token ({@code prefetchd.http.token} or {@code token-file}): with one set,
 * every request needs {@code Authorization: Bearer <token>} (401 otherwise) except {@code /health} and {@code /ready},
 * which orchestrators probe without credentials and which tell nothing but up/down, and {@code /metrics} when
 * {@code prefetchd.http.metrics-open} is true. The token is compared in constant time and never logged.
 */
@ServerFilter(ServerFilter.MATCH_ALL_PATTERN)
public final class HttpTokenFilter {
    private final byte @org.jspecify.annotations.Nullable [] expected;
    private final boolean metricsOpen;

    HttpTokenFilter(GatewayConfig config) {
        String token = token(config.getHttp());
        this.expected = token.isEmpty() ? null : ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
        this.metricsOpen = config.getHttp().isMetricsOpen();
    }

    /** The configured token: {@code token}, else the first line of {@code token-file}, else empty (no token). */
    static String token(GatewayConfig.Http http) {
        return TokenSetting.read("prefetchd.http", http.getToken(), http.getTokenFile());
    }

    /** Whether a token is required at all. */
    boolean enabled() {
        return expected != null;
    }

    @RequestFilter
    @Nullable
    public HttpResponse<?> authorize(HttpRequest<?> request) {
        if (expected == null) {
            return null;
        }
        String path = request.getPath();
        if (path.equals("/health") || path.equals("/ready") || (metricsOpen && path.equals("/metrics"))) {
            return null;
        }
        String got = request.getHeaders().get("Authorization");
        if (got != null && MessageDigest.isEqual(expected, got.getBytes(StandardCharsets.UTF_8))) {
            return null;
        }
        return HttpResponse.unauthorized().header("WWW-Authenticate", "Bearer realm=\"prefetchd\"")
                .contentType(MediaType.TEXT_PLAIN_TYPE)
                .body(got == null ? "this prefetchd needs Authorization: Bearer <token>\n" : "wrong bearer token\n");
    }
}
