package io.prefetchd.formats;

import java.util.Arrays;

/** A growable {@code long[]}; not thread-safe. */
final class LongList {
    private long[] a = new long[64];
    private int n;

    void add(long v) {
        if (n == a.length) {
            a = Arrays.copyOf(a, n * 2);
        }
        a[n++] = v;
    }

    int size() {
        return n;
    }

    long get(int i) {
        return a[i];
    }

    void set(int i, long v) {
        a[i] = v;
    }

    long[] toArray() {
        return Arrays.copyOf(a, n);
    }
}
