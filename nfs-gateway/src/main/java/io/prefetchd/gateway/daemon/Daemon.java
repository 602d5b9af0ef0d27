package io.prefetchd.gateway.daemon;

import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.PropertiesPropertySourceLoader;
import io.micronaut.context.env.PropertySource;
import io.micronaut.context.env.PropertySourceLoader;
import io.micronaut.context.env.yaml.YamlPropertySourceLoader;
import io.micronaut.runtime.server.EmbeddedServer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
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
        return start(properties, null);
    }

    /**
     * @param configFile a YAML or .properties file with prefetchd.* settings, or null. It ranks above the built-in
     *                   application.yml and below environment variables, which rank below {@code properties}.
     */
    public static ApplicationContext start(Map<String, Object> properties, Path configFile) {
        var builder = ApplicationContext.builder().properties(properties).banner(false).deduceEnvironment(false);
        if (configFile != null) {
            builder.propertySources(configFile(configFile));
        }
        ApplicationContext ctx = builder.start();
        try {
            ctx.getBean(EmbeddedServer.class).start();
            return ctx;
        } catch (RuntimeException e) {
            ctx.close();
            throw e;
        }
    }

    /** Environment variables are at -200 (EnvironmentPropertySource.POSITION); application.yml is lower. */
    private static final int CONFIG_FILE_POSITION = -250;

    static PropertySource configFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new StartupException("config file " + file + " does not exist");
        }
        String name = file.getFileName().toString();
        PropertySourceLoader loader = name.endsWith(".properties") ? new PropertiesPropertySourceLoader()
                : new YamlPropertySourceLoader();
        try (InputStream in = Files.newInputStream(file)) {
            Map<String, Object> values = loader.read(name, in);
            return PropertySource.of(file.toString(), values, CONFIG_FILE_POSITION);
        } catch (IOException | RuntimeException e) {
            throw new StartupException("cannot read config file " + file + ": " + Gateway.rootMessage(e), e);
        }
    }

    public static int httpPort(ApplicationContext ctx) {
        return ctx.getBean(EmbeddedServer.class).getPort();
    }
}
