package io.prefetchd.gateway.s3api;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.prefetchd.gateway.fs.ReadResult;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static java.util.Objects.requireNonNull;

/**
 * The endpoint's meters (docs/METRICS.md): requests that reached the bucket by operation and HTTP status, body
 * bytes served and received, and the parts of GETs by whether they were served from the cache or waited on S3. Requests S3Proxy
 * refused before they reached the bucket (bad signature, malformed request) are not counted here.
 *
 * <p>Thread-safe: counters are created once per (operation, status) and cached.
 */
final class S3ApiMetrics {
    private final MeterRegistry registry;
    private final Map<String, Counter> requests = new ConcurrentHashMap<>();
    private final Counter bytes;
    private final Counter written;
    private final Counter hits;
    private final Counter misses;

    S3ApiMetrics(MeterRegistry registry) {
        this.registry = requireNonNull(registry, "registry is null");
        this.bytes = Counter.builder("prefetchd.s3api.bytes").baseUnit("bytes")
                .description("object bytes the S3 endpoint sent in GET bodies").register(registry);
        this.written = Counter.builder("prefetchd.s3api.written.bytes").baseUnit("bytes")
                .description("body bytes the S3 endpoint received in PUTs, parts and copies that succeeded")
                .register(registry);
        this.hits = parts("hit");
        this.misses = parts("miss");
    }

    private Counter parts(String outcome) {
        return Counter.builder("prefetchd.s3api.parts").tag("outcome", outcome)
                .description("parts of S3 GETs (one file system read each): hit = served from the cache, miss = "
                        + "waited on S3")
                .register(registry);
    }

    void request(String operation, int status) {
        requests.computeIfAbsent(operation + " " + status, k -> Counter.builder("prefetchd.s3api.requests")
                .tag("op", operation).tag("status", Integer.toString(status))
                .description("S3 endpoint requests that reached the bucket, by operation and HTTP status")
                .register(registry)).increment();
    }

    void partRead(ReadResult r) {
        (r.waitedOnS3() ? misses : hits).increment();
    }

    void bytesServed(long n) {
        bytes.increment(n);
    }

    void bytesWritten(long n) {
        written.increment(n);
    }
}
