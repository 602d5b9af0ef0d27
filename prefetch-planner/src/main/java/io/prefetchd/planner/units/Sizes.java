package io.prefetchd.planner.units;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Human sizes, parsed and printed the same way by every prefetchd command and setting. Units are binary: K, M,
 * G, T and P are powers of 1024 however they are spelled, so {@code 200MiB}, {@code 200M} and {@code 200MB} are
 * all 209,715,200 bytes. Case and spaces do not matter ({@code " 10 gib "}); a fraction is allowed
 * ({@code 1.5GiB}); a bare number or one ending in {@code B} is bytes.
 */
public final class Sizes {
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(?:([kmgtp])(?:ib|i|b)?|b)?");
    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};

    private Sizes() {
    }

    /** Bytes in {@code text}; throws IllegalArgumentException quoting the text and showing valid spellings. */
    public static long parse(String text) {
        Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("not a size: '" + text + "' (try 100GiB, 512MiB or a number of bytes)");
        }
        int shift = m.group(2) == null ? 0 : 10 * ("kmgtp".indexOf(m.group(2)) + 1);
        double bytes = Double.parseDouble(m.group(1)) * (1L << shift);
        if (bytes >= Long.MAX_VALUE) {
            throw new IllegalArgumentException("size too large: '" + text + "'");
        }
        if (bytes > 0 && bytes < 1) {
            throw new IllegalArgumentException("size smaller than one byte: '" + text + "'");
        }
        return (long) bytes;
    }

    /** {@code 1023 B}, {@code 1.5 KiB}, {@code 10.0 GiB}: one decimal in the largest unit that keeps it ≥ 1. */
    public static String format(long bytes) {
        double v = bytes;
        int u = 0;
        while (Math.abs(v) >= 1024 && u < UNITS.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", v, UNITS[u]);
    }
}
