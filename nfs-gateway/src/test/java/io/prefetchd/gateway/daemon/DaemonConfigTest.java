package io.prefetchd.gateway.daemon;

import io.micronaut.context.ApplicationContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Settings from a --config file reach GatewayConfig, and explicit (flag) properties win over the file. */
class DaemonConfigTest {

    @Test
    void configFileSets_andFlagsOverride(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("prefetchd.yml"), """
                prefetchd:
                  cache:
                    size: 1GiB
                  nfs:
                    attribute-ttl: 5s
                    workers: 3
                """);
        Map<String, Object> flags = Map.of("prefetchd.gateway.enabled", "false", "micronaut.server.port", -1,
                "micronaut.server.host", "127.0.0.1", "prefetchd.nfs.workers", 7);
        try (ApplicationContext ctx = Daemon.start(flags, file)) {
            GatewayConfig c = ctx.getBean(GatewayConfig.class);
            assertEquals("1GiB", c.getCache().getSize());
            assertEquals(Duration.ofSeconds(5), c.getNfs().getAttributeTtl());
            assertEquals(7, c.getNfs().getWorkers(), "a flag beats the file");
        }
    }

    @Test
    void unparsableConfigFile_errorNamesTheLine_withoutQuotingIt(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("prefetchd.yml"), """
                prefetchd:
                  s3:
                    secret-key: "wJalrXUtnFEMI/K7MDENG
                    bucket: b
                  http:
                    token: : not yaml
                """);
        StartupException e = assertThrows(StartupException.class, () -> Daemon.start(Map.of(), file));
        assertTrue(e.getMessage().startsWith("cannot read config file " + file), e.getMessage());
        assertTrue(e.getMessage().matches(".*line \\d+, column \\d+.*"), e.getMessage());
        assertFalse(e.getMessage().contains("wJalrXUtnFEMI"), e.getMessage());
        assertFalse(e.getMessage().contains("not yaml"), e.getMessage());
    }

    @Test
    void missingConfigFile_isOneClearError(@TempDir Path dir) {
        StartupException e = assertThrows(StartupException.class,
                () -> Daemon.start(Map.of(), dir.resolve("nope.yml")));
        assertTrue(e.getMessage().startsWith("config file "), e.getMessage());
    }
}
