package io.prefetchd.gateway.daemon;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Produces;
import io.prefetchd.gateway.fs.staging.StagingStatus;
import io.prefetchd.planner.units.Sizes;

import java.time.Duration;
import java.time.Instant;

/**
 * HTTP: {@code /api/uploads}, the written files S3 does not have yet, one a line, as {@code prefetchd uploads}
 * prints them. 404 when writes are off.
 */
@Controller
public class UploadsController {
    private final @Nullable Gateway gateway;

    public UploadsController(@Nullable Gateway gateway) {
        this.gateway = gateway;
    }

    @Get("/api/uploads")
    @Produces("text/plain; charset=utf-8")
    public HttpResponse<String> uploads() {
        if (gateway == null || gateway.writes().isEmpty()) {
            return HttpResponse.<String>status(HttpStatus.NOT_FOUND)
                    .body("writes are off (prefetchd.write.enabled=false): nothing is staged\n");
        }
        return HttpResponse.ok(table(gateway.writes().get().status(), Instant.now()));
    }

    /** The pending uploads as a table: age, size, state, path, and the last error of a failing one. */
    static String table(StagingStatus s, Instant now) {
        StringBuilder sb = new StringBuilder();
        sb.append(Sizes.format(s.stagedBytes())).append(" staged of ").append(Sizes.format(s.capacityBytes()))
                .append(", ").append(s.pending().size()).append(" pending")
                .append(s.lastError().isEmpty() ? "" : "; last upload error: " + s.lastError()).append('\n');
        if (s.pending().isEmpty()) {
            return sb.append("nothing waits for S3\n").toString();
        }
        sb.append(String.format("%8s  %10s  %-12s  %s%n", "AGE", "SIZE", "STATE", "PATH"));
        for (StagingStatus.Pending p : s.pending()) {
            long age = Math.max(0, Duration.between(p.stagedAt(), now).toSeconds());
            String state = p.uploading() ? "uploading" : p.failures() > 0 ? "retrying(" + p.failures() + ")"
                    : "waiting";
            sb.append(String.format("%7ds  %10s  %-12s  /%s%n", age, Sizes.format(p.size()), state, p.path()));
            if (!p.lastError().isEmpty()) {
                sb.append("          last error: ").append(p.lastError()).append('\n');
            }
        }
        return sb.toString();
    }
}
