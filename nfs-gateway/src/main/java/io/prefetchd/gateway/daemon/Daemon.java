package io.prefetchd.gateway.daemon;

import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.Environment;
import io.micronaut.context.env.PropertiesPropertySourceLoader;
import io.micronaut.context.env.PropertySource;
import io.micronaut.context.env.PropertySourceLoader;
import io.micronaut.context.env.yaml.YamlPropertySourceLoader;
import io.micronaut.runtime.server.EmbeddedServer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

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
    public static ApplicationContext start(Map<String, Object> properties, @Nullable Path configFile) {
        PropertySource file = configFile == null ? null : configFile(configFile);
        EarlySettings early = earlySettings(properties, file);
        LogFiles.attach(early.log());
        HttpTokenFilter.token(early.http()); // a bad token file fails the start, not the first request
        var builder = ApplicationContext.builder().properties(properties).banner(false).deduceEnvironment(false);
        if (file != null) {
            builder.propertySources(file);
        }
        httpsSettings(early.http(), early.httpPort()).ifPresent(builder::propertySources);
        ApplicationContext ctx = builder.start();
        try {
            ctx.getBean(EmbeddedServer.class).start();
            return ctx;
        } catch (RuntimeException e) {
            ctx.close();
            throw e;
        }
    }

    /** What must be known before the context starts: the log file, and the HTTP port's TLS and token. */
    private record EarlySettings(GatewayConfig.Log log, GatewayConfig.Http http, int httpPort) {}

    /**
     * {@code prefetchd.log.*} and {@code prefetchd.http.*} from the same sources as every other setting, read before
     * the daemon starts: its start-up lines must reach the log file, and Micronaut's HTTPS settings are derived
     * from ours.
     */
    private static EarlySettings earlySettings(Map<String, Object> properties, @Nullable PropertySource file) {
        var builder = ApplicationContext.builder().properties(properties).banner(false).deduceEnvironment(false);
        if (file != null) {
            builder.propertySources(file);
        }
        Environment env = builder.build().getEnvironment();
        env.start();
        try {
            GatewayConfig.Log log = new GatewayConfig.Log();
            env.getProperty("prefetchd.log.file", String.class).ifPresent(log::setFile);
            env.getProperty("prefetchd.log.max-file-size", String.class).ifPresent(log::setMaxFileSize);
            env.getProperty("prefetchd.log.max-total-size", String.class).ifPresent(log::setMaxTotalSize);
            env.getProperty("prefetchd.log.max-history", Integer.class).ifPresent(log::setMaxHistory);
            GatewayConfig.Http http = new GatewayConfig.Http();
            env.getProperty("prefetchd.http.token", String.class).ifPresent(http::setToken);
            env.getProperty("prefetchd.http.token-file", String.class).ifPresent(http::setTokenFile);
            env.getProperty("prefetchd.http.tls-cert", String.class).ifPresent(http::setTlsCert);
            env.getProperty("prefetchd.http.tls-key", String.class).ifPresent(http::setTlsKey);
            return new EarlySettings(log, http, env.getProperty("micronaut.server.port", Integer.class).orElse(8049));
        } finally {
            env.stop();
        }
    }

    /**
     * With {@code prefetchd.http.tls-cert} and {@code tls-key}, Micronaut's HTTPS settings: the HTTP port speaks
     * HTTPS only, on the same port number.
     */
    static Optional<PropertySource> httpsSettings(GatewayConfig.Http http, int port) {
        if (http.getTlsCert().isBlank() && http.getTlsKey().isBlank()) {
            return Optional.empty();
        }
        if (http.getTlsCert().isBlank() || http.getTlsKey().isBlank()) {
            throw new StartupException("prefetchd.http.tls-cert and prefetchd.http.tls-key go together");
        }
        for (String f : List.of(http.getTlsCert(), http.getTlsKey())) {
            if (!Files.isReadable(Path.of(f))) {
                throw new StartupException("cannot read " + f + " (prefetchd.http.tls-cert/tls-key)");
            }
        }
        Map<String, Object> ssl = new LinkedHashMap<>();
        ssl.put("micronaut.server.ssl.enabled", true);
        ssl.put("micronaut.server.ssl.port", port);
        ssl.put("micronaut.server.ssl.key-store.certificate-path", "file:" + Path.of(http.getTlsCert()).toAbsolutePath());
        ssl.put("micronaut.server.ssl.key-store.key-path", "file:" + Path.of(http.getTlsKey()).toAbsolutePath());
        return Optional.of(PropertySource.of("prefetchd-https", ssl, HTTPS_POSITION));
    }

    /** Above the command line's properties: derived from them, never overridden by a lower source. */
    private static final int HTTPS_POSITION = 1000;

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
            throw new StartupException("cannot read config file " + file + ": "
                    + withoutSourceText(StartupException.rootMessage(e))); // no cause: it quotes the file
        }
    }

    /**
     * A parser's message cut after its first {@code line N, column M}: YAML parsers quote the offending lines after
     * it, and those may hold a secret key or a token.
     */
    static String withoutSourceText(String message) {
        Matcher m = Pattern.compile("line \\d+, column \\d+").matcher(message);
        return m.find() ? message.substring(0, m.end()) : message;
    }

    public static int httpPort(ApplicationContext ctx) {
        return ctx.getBean(EmbeddedServer.class).getPort();
    }
}
