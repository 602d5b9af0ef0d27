package io.prefetchd.gateway.daemon;

import io.prefetchd.planner.units.Sizes;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy;
import ch.qos.logback.core.util.FileSize;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The optional log file ({@code prefetchd.log.file}): the same lines as stderr, in a file rolled over at midnight UTC
 * and when it reaches {@code max-file-size} ({@code FILE.2026-12-02.0.gz}, ...); rolled files older than
 * {@code max-history} days, or beyond {@code max-total-size} together, are deleted.
 * Attached to logback's root logger before the gateway starts, so start-up lines are in the file too.
 */
final class LogFiles {
    /** One pattern for stderr (logback.xml) and the file: ISO 8601 date and time in UTC. */
    static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSS'Z',UTC} %-5level [%thread] %logger{20} - %msg%n";
    static final String APPENDER = "FILE";

    private LogFiles() {
    }

    /** Adds the file appender when {@code log.file} is set; a no-op when it is empty or already attached. */
    static void attach(GatewayConfig.Log log) {
        if (log.getFile().isBlank()) {
            return;
        }
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            throw new StartupException("prefetchd.log.file needs logback as the logging backend");
        }
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        if (root.getAppender(APPENDER) != null) {
            return;
        }
        if (log.getMaxHistory() < 1) {
            throw new StartupException("prefetchd.log.max-history must be at least 1, not " + log.getMaxHistory());
        }
        long maxSize;
        try {
            maxSize = Sizes.parse(log.getMaxFileSize());
        } catch (IllegalArgumentException e) {
            throw new StartupException("prefetchd.log.max-file-size: " + e.getMessage(), e);
        }
        long totalCap;
        try {
            totalCap = Sizes.parse(log.getMaxTotalSize());
        } catch (IllegalArgumentException e) {
            throw new StartupException("prefetchd.log.max-total-size: " + e.getMessage(), e);
        }
        Path file = Path.of(log.getFile()).toAbsolutePath();
        try {
            Files.createDirectories(file.getParent());
        } catch (IOException e) {
            throw new StartupException("cannot create the folder of prefetchd.log.file " + file + ": "
                    + e.getMessage(), e);
        }
        if (Files.exists(file) && !Files.isWritable(file)) {
            throw new StartupException("prefetchd.log.file " + file + " is not writable");
        }

        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();

        RollingFileAppender<ILoggingEvent> appender = new RollingFileAppender<>();
        appender.setContext(context);
        appender.setName(APPENDER);
        appender.setFile(file.toString());
        appender.setEncoder(encoder);

        SizeAndTimeBasedRollingPolicy<ILoggingEvent> policy = new SizeAndTimeBasedRollingPolicy<>();
        policy.setContext(context);
        policy.setParent(appender);
        policy.setFileNamePattern(file + ".%d{yyyy-MM-dd,UTC}.%i.gz");
        policy.setMaxFileSize(new FileSize(maxSize));
        policy.setMaxHistory(log.getMaxHistory());
        policy.setTotalSizeCap(new FileSize(totalCap));
        policy.start();

        appender.setRollingPolicy(policy);
        appender.start();
        if (!appender.isStarted()) {
            throw new StartupException("cannot open prefetchd.log.file " + file);
        }
        root.addAppender(appender);
    }

    /** Stops and removes the file appender (for tests, which start several daemons in one JVM). */
    static void detach() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
            var appender = root.getAppender(APPENDER);
            if (appender != null) {
                root.detachAppender(appender);
                appender.stop();
            }
        }
    }
}
