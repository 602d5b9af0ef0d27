package io.prefetchd.gateway.daemon;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code prefetchd.write.enabled} decides whether the gateway serves the writable file system. */
class GatewayWritesTest {
    @TempDir
    Path state;

    private GatewayConfig config(boolean writes) {
        GatewayConfig c = new GatewayConfig();
        c.setStateDir(state.toString());
        c.getS3().setBucket("bucket");
        c.getCache().setSize("1MiB");
        c.getNfs().setBind("127.0.0.1");
        c.getNfs().setPort(0);
        c.getNfs().setWorkers(2);
        c.getPlanner().setEnabled(false);
        c.getTracer().setEnabled(false);
        c.getWrite().setEnabled(writes);
        return c;
    }

    @Test
    void writesEnabled_stageUnderTheStateFolder_andShowInStatus() {
        InMemoryObjectStore store = new InMemoryObjectStore("bucket");
        try (Gateway gw = Gateway.start(config(true), store, new SimpleMeterRegistry(), Clock.systemUTC())) {
            assertTrue(gw.writes().isPresent());
            assertTrue(Files.isDirectory(state.resolve("staging/files")));
            String status = new MetricsController(null, gw, null).status();
            assertTrue(status.contains("writes      0 B staged of 10.0 GiB, 0 uploads pending"), status);
        }
    }

    @Test
    void writesOff_byDefault_serveReadOnly() {
        InMemoryObjectStore store = new InMemoryObjectStore("bucket");
        try (Gateway gw = Gateway.start(config(false), store, new SimpleMeterRegistry(), Clock.systemUTC())) {
            assertFalse(gw.writes().isPresent());
            assertFalse(Files.exists(state.resolve("staging")));
            assertTrue(new MetricsController(null, gw, null).status().contains("writes      off (read-only)"));
        }
    }

    /** One AccessControl, built knowing whether the export takes writes: its modes' defaults follow, no rebuild. */
    @Test
    void accessControl_isBuiltOnce_withTheDefaultsOfWhetherWritesAreOn() {
        try (Gateway rw = Gateway.start(config(true), new InMemoryObjectStore("bucket"), new SimpleMeterRegistry(),
                Clock.systemUTC())) {
            assertEquals(0666, rw.access().ownership().fileMode());
            assertEquals(0777, rw.access().ownership().dirMode());
        }
        try (Gateway ro = Gateway.start(config(false), new InMemoryObjectStore("bucket"), new SimpleMeterRegistry(),
                Clock.systemUTC())) {
            assertEquals(0444, ro.access().ownership().fileMode());
        }
    }
}
