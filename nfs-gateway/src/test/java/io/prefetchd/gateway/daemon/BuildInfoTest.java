package io.prefetchd.gateway.daemon;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class BuildInfoTest {
    @Test
    void load_readsTheVersionAndCommitTheBuildRecorded() {
        BuildInfo b = BuildInfo.load();
        assertEquals("0.1.0-SNAPSHOT", b.version());
        assertTrue(b.commit().matches("[0-9a-f]{12}|unknown"), b.commit());
    }

    @Test
    void register_publishesOneGaugeWithVersionAndCommit() {
        PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new BuildInfo("1.2.3", "0123456789ab").register(r);
        assertTrue(r.scrape().matches("(?s).*\nprefetchd_build_info\\{commit=\"0123456789ab\",version=\"1.2.3\"} "
                + "1(\\.0)?\n.*"), r.scrape());
    }
}
