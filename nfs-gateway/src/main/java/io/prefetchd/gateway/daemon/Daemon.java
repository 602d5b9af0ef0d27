package io.prefetchd.gateway.daemon;

import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;

import java.util.Map;

/**
 * Starts the daemon's Micronaut context (configuration, gateway, HTTP endpoints) from explicit properties, on
 * top of configuration files and environment variables. Startup failures propagate to the caller (the CLI
 * turns them into one line; tests assert on them) instead of being logged and exited on by Micronaut.
 */
public final class Daemon {
    private Daemon() {
    }

    public static ApplicationContext start(Map<String, Object> properties) {
        ApplicationContext ctx = ApplicationContext.builder().properties(properties).banner(false)
                .deduceEnvironment(false).start();
        try {
            ctx.getBean(EmbeddedServer.class).start();
            return ctx;
        } catch (RuntimeException e) {
            ctx.close();
            throw e;
        }
    }

    public static int httpPort(ApplicationContext ctx) {
        return ctx.getBean(EmbeddedServer.class).getPort();
    }
}
