package io.prefetchd.formats;

import java.util.ArrayList;
import java.util.List;

/**
 * Shell-style brace expansion as WebDataset shard lists use it: {@code train-{000000..000099}.tar} (numeric
 * ranges, zero-padded to the width of a bound written with a leading zero, ascending or descending) and
 * {@code {train,val}-{0..3}.tar} (alternatives). Several groups multiply out left to right; groups do not nest.
 */
final class BracePattern {
    static final int MAX_NAMES = 10_000_000;

    private BracePattern() {
    }

    static boolean isPattern(String s) {
        return s.indexOf('{') >= 0;
    }

    /** The literal text before the first group. */
    static String literalPrefix(String pattern) {
        int i = pattern.indexOf('{');
        return i < 0 ? pattern : pattern.substring(0, i);
    }

    static List<String> expand(String pattern) {
        List<String> out = new ArrayList<>();
        out.add("");
        int i = 0;
        while (i < pattern.length()) {
            int open = pattern.indexOf('{', i);
            if (open < 0) {
                append(out, List.of(pattern.substring(i)));
                break;
            }
            int close = pattern.indexOf('}', open);
            if (close < 0) {
                throw new IllegalArgumentException("unclosed '{' at position " + open + " in " + pattern);
            }
            if (pattern.indexOf('{', open + 1) >= 0 && pattern.indexOf('{', open + 1) < close) {
                throw new IllegalArgumentException("nested braces are not supported: " + pattern);
            }
            append(out, List.of(pattern.substring(i, open)));
            append(out, group(pattern.substring(open + 1, close), pattern));
            i = close + 1;
        }
        return out;
    }

    private static void append(List<String> out, List<String> alternatives) {
        if ((long) out.size() * alternatives.size() > MAX_NAMES) {
            throw new IllegalArgumentException("pattern expands to more than " + MAX_NAMES + " names");
        }
        List<String> next = new ArrayList<>(out.size() * alternatives.size());
        for (String head : out) {
            for (String alt : alternatives) {
                next.add(head + alt);
            }
        }
        out.clear();
        out.addAll(next);
    }

    private static List<String> group(String body, String pattern) {
        int dots = body.indexOf("..");
        if (dots >= 0 && body.indexOf(',') < 0) {
            String a = body.substring(0, dots);
            String b = body.substring(dots + 2);
            long from;
            long to;
            try {
                from = Long.parseLong(a);
                to = Long.parseLong(b);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("range {" + body + "} is not numeric in " + pattern);
            }
            int width = (a.length() > 1 && a.startsWith("0")) || (b.length() > 1 && b.startsWith("0"))
                    ? Math.max(a.length(), b.length()) : 0;
            if (Math.abs(to - from) >= MAX_NAMES) {
                throw new IllegalArgumentException("range {" + body + "} has more than " + MAX_NAMES + " names");
            }
            List<String> names = new ArrayList<>();
            long step = from <= to ? 1 : -1;
            for (long v = from; ; v += step) {
                String s = Long.toString(v);
                names.add(width > s.length() ? "0".repeat(width - s.length()) + s : s);
                if (v == to) {
                    break;
                }
            }
            return names;
        }
        return List.of(body.split(",", -1));
    }
}
