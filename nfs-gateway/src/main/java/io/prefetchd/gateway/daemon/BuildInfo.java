package io.prefetchd.gateway.daemon;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

import static java.util.Objects.requireNonNull;

/**
 * The version and commit this daemon was built from, written into {@code build-info.properties} at build time,
 * and published as {@code prefetchd_build_info{version, commit} 1}, the usual way to join a build to other
 * series in PromQL.
 */
public record BuildInfo(String version, String commit) {
    static final String RESOURCE = "/io/prefetchd/gateway/build-info.properties";

    public BuildInfo {
        requireNonNull(version, "version is null");
        requireNonNull(commit, "commit is null");
    }

    /** From the classpath; "unknown" for what the build did not record (e.g. built outside a git checkout). */
    public static BuildInfo load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
        return new BuildInfo(known(p.getProperty("version")), known(p.getProperty("commit")));
    }

    private static String known(String value) {
        return value == null || value.isBlank() || value.startsWith("${") ? "unknown" : value.strip();
    }

    public void register(MeterRegistry registry) {
        Gauge.builder("prefetchd.build.info", () -> 1).tag("version", version).tag("commit", commit)
                .description("the build of this daemon (always 1)").register(registry);
    }
}
