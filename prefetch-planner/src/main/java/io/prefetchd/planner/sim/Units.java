package io.prefetchd.planner.sim;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses sizes ({@code 100kB}, {@code 1.5GiB}, {@code 123}), rates ({@code 120MB/s}) and durations ({@code 40ms}). */
final class Units {
    private static final Pattern SIZE = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)\\s*([kmgtp]?)(i?)b?",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern TIME = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)\\s*(ns|us|µs|ms|s|m)?",
            Pattern.CASE_INSENSITIVE);

    private Units() {
    }

    /** Decimal prefixes (kB = 1000) unless the binary form is used (KiB = 1024). */
    static long bytes(String text) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a size: '" + text + "' (examples: 100kB, 1.5GiB, 4096)");
        }
        double v = Double.parseDouble(m.group(1));
        String prefix = m.group(2).toLowerCase(Locale.ROOT);
        double base = m.group(3).isEmpty() ? 1000 : 1024;
        int power = prefix.isEmpty() ? 0 : "kmgtp".indexOf(prefix) + 1;
        double bytes = v * Math.pow(base, power);
        if (bytes > Long.MAX_VALUE) {
            throw new IllegalArgumentException("size too large: '" + text + "'");
        }
        return Math.round(bytes);
    }

    /** A size per second; the trailing {@code /s} is optional. */
    static long bytesPerSecond(String text) {
        String t = text.trim();
        if (t.endsWith("/s")) {
            t = t.substring(0, t.length() - 2);
        }
        try {
            return bytes(t);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a rate: '" + text + "' (examples: 120MB/s, 1GiB/s)");
        }
    }

    /** A duration; a bare number is milliseconds. */
    static Duration duration(String text) {
        Matcher m = TIME.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a duration: '" + text + "' (examples: 40ms, 0.2s, 500us)");
        }
        double v = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "ms" : m.group(2).toLowerCase(Locale.ROOT);
        double nanos = switch (unit) {
            case "ns" -> v;
            case "us", "µs" -> v * 1e3;
            case "ms" -> v * 1e6;
            case "s" -> v * 1e9;
            default -> v * 60e9;
        };
        return Duration.ofNanos(Math.round(nanos));
    }
}
