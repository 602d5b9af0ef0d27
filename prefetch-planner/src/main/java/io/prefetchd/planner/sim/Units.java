package io.prefetchd.planner.sim;

import io.prefetchd.planner.units.Sizes;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses rates ({@code 120MiB/s}; sizes are {@link Sizes}'s, binary units) and durations ({@code 40ms}). */
final class Units {
    private static final Pattern TIME = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)\\s*(ns|us|µs|ms|s|m)?",
            Pattern.CASE_INSENSITIVE);

    private Units() {
    }

    /** A size per second; the trailing {@code /s} is optional. */
    static long bytesPerSecond(String text) {
        String t = text.trim();
        if (t.endsWith("/s")) {
            t = t.substring(0, t.length() - 2);
        }
        try {
            return Sizes.parse(t);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a rate: '" + text + "' (examples: 120MiB/s, 1GiB/s)");
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
