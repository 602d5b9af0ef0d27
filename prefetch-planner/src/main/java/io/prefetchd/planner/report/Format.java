package io.prefetchd.planner.report;

import java.util.Locale;

/** Number formats shared by the table and the page: decimal byte units (as S3 bills), percentages, durations. */
final class Format {
    private Format() {
    }

    static String bytes(double n) {
        if (Double.isNaN(n)) {
            return "-";
        }
        if (Math.abs(n) < 1_000) {
            return String.format(Locale.ROOT, n == Math.rint(n) ? "%.0f B" : "%.1f B", n);
        }
        String[] units = {"kB", "MB", "GB", "TB", "PB", "EB"};
        double v = n;
        int u = -1;
        while (Math.abs(v) >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.0f %s" : Math.abs(v) >= 10 ? "%.1f %s"
                : "%.2f %s", v, units[u]);
    }

    static String percent(double ratio) {
        if (Double.isNaN(ratio)) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.1f%%", 100 * ratio);
    }

    /** Seconds with a unit that keeps 2-3 significant digits: 850 µs, 12.5 ms, 3.20 s. */
    static String seconds(double s) {
        if (Double.isNaN(s)) {
            return "-";
        }
        if (s == 0) {
            return "0 s";
        }
        if (s < 1e-3) {
            return String.format(Locale.ROOT, "%.0f µs", s * 1e6);
        }
        if (s < 1) {
            return String.format(Locale.ROOT, s < 0.01 ? "%.2f ms" : s < 0.1 ? "%.1f ms" : "%.0f ms", s * 1e3);
        }
        return String.format(Locale.ROOT, s < 100 ? "%.2f s" : "%.0f s", s);
    }

    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** An axis value counted in units (reads, GETs): an integer, or one decimal below 10. */
    static String count0(double v) {
        return v == Math.rint(v) ? count((long) v) : String.format(Locale.ROOT, "%.1f", v);
    }

    static String ratio(double x) {
        return Double.isNaN(x) ? "-" : String.format(Locale.ROOT, "%.2f×", x);
    }
}
