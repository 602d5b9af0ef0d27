package io.prefetchd.benchmarks.harness;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Human sizes with binary units: {@code 64MiB}, {@code 2G}, {@code 100KB} (all powers of 1024), or bytes. */
final class Sizes {
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([KMGT]?)(?:i?B)?",
            Pattern.CASE_INSENSITIVE);

    private Sizes() {
    }

    static long parse(String s) {
        Matcher m = SIZE.matcher(s.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a size: '" + s + "' (try 2GiB, 64MiB, 100KiB or bytes)");
        }
        int shift = switch (m.group(2).toUpperCase(Locale.ROOT)) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            case "T" -> 40;
            default -> 0;
        };
        return (long) (Double.parseDouble(m.group(1)) * (1L << shift));
    }

    static String format(double bytes) {
        String[] u = {"B", "KiB", "MiB", "GiB", "TiB"};
        int i = 0;
        while (Math.abs(bytes) >= 1024 && i < u.length - 1) {
            bytes /= 1024;
            i++;
        }
        return String.format(Locale.ROOT, i == 0 ? "%.0f %s" : "%.1f %s", bytes, u[i]);
    }
}
