package io.prefetchd.gateway.daemon;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Produces;

/**
 * HTTP probes for orchestrators: {@code /health} answers 200 while the process serves HTTP (liveness);
 * {@code /ready} answers 200 once the gateway can serve (see {@link Readiness}), else 503 with the reason.
 */
@Controller
public class HealthController {
    private final @Nullable Readiness readiness;

    public HealthController(@Nullable Readiness readiness) {
        this.readiness = readiness;
    }

    @Get("/health")
    @Produces("text/plain; charset=utf-8")
    public String health() {
        return "ok\n";
    }

    @Get("/ready")
    @Produces("text/plain; charset=utf-8")
    public HttpResponse<String> ready() {
        String reason = readiness == null ? "the gateway is not running" : readiness.notReadyReason();
        return reason == null ? HttpResponse.ok("ready\n")
                : HttpResponse.<String>status(HttpStatus.SERVICE_UNAVAILABLE).body("not ready: " + reason + "\n");
    }
}
