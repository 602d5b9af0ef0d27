package io.prefetchd.tracer.cli;

/** RFC 4180 fields: quoted when they hold a comma, quote, CR or LF; quotes doubled. Stateless. */
final class Csv {
    private Csv() {
    }

    static StringBuilder field(StringBuilder b, String s) {
        boolean quote = false;
        for (int i = 0; i < s.length() && !quote; i++) {
            char c = s.charAt(i);
            quote = c == ',' || c == '"' || c == '\r' || c == '\n';
        }
        if (!quote) {
            return b.append(s);
        }
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') {
                b.append('"');
            }
            b.append(c);
        }
        return b.append('"');
    }
}
