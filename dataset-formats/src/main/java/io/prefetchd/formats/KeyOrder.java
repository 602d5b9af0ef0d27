package io.prefetchd.formats;

import java.util.Comparator;

/**
 * Code point order of strings: the order of S3 listings (UTF-8 bytes) and of Python's {@code sorted()}.
 * {@link String#compareTo} differs from it for characters outside the Basic Multilingual Plane.
 */
final class KeyOrder implements Comparator<String> {
    static final KeyOrder INSTANCE = new KeyOrder();

    private KeyOrder() {
    }

    @Override
    public int compare(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
