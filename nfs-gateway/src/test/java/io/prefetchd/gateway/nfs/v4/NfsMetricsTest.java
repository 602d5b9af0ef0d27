package io.prefetchd.gateway.nfs.v4;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NfsMetricsTest {
    @Test
    void operationLatency_isAPrometheusHistogram_withTheDocumentedBuckets() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        NfsMetrics metrics = new NfsMetrics(registry);
        metrics.operation(Nfs4.OP_READ, NfsStatus.NFS4_OK, 700_000); // 0.7 ms
        String text = registry.scrape();
        assertTrue(text.contains("prefetchd_nfs_op_latency_seconds_bucket{op=\"READ\",le=\"5.0E-4\"} 0"), text);
        assertTrue(text.contains("prefetchd_nfs_op_latency_seconds_bucket{op=\"READ\",le=\"0.001\"} 1"), text);
        assertTrue(text.contains("prefetchd_nfs_op_latency_seconds_bucket{op=\"READ\",le=\"30.0\"} 1"), text);
        assertTrue(text.contains("prefetchd_nfs_op_latency_seconds_bucket{op=\"READ\",le=\"+Inf\"} 1"), text);
    }

    @Test
    void operations_areCountedByOpAndStatus() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        NfsMetrics metrics = new NfsMetrics(registry);
        metrics.operation(Nfs4.OP_READ, NfsStatus.NFS4_OK, 1_000);
        metrics.operation(Nfs4.OP_READ, NfsStatus.NFS4_OK, 1_000);
        metrics.operation(Nfs4.OP_READ, NfsStatus.NFS4ERR_DELAY, 1_000);
        metrics.operation(Nfs4.OP_LOOKUP, NfsStatus.NFS4ERR_NOENT, 1_000);
        assertEquals(2, count(registry, "READ", "NFS4_OK"));
        assertEquals(1, count(registry, "READ", "NFS4ERR_DELAY"));
        assertEquals(1, count(registry, "LOOKUP", "NFS4ERR_NOENT"));
        assertEquals(3, registry.get("prefetchd.nfs.op.latency").tag("op", "READ").timer().count());
    }

    private static double count(PrometheusMeterRegistry registry, String op, String status) {
        return registry.get("prefetchd.nfs.ops").tag("op", op).tag("status", status).counter().count();
    }
}
