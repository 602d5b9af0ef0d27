package io.prefetchd.formats;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.Arrays;

/**
 * Many short strings in two arrays: their UTF-8 bytes end to end and each one's end offset. A million
 * 20-byte keys take 24 MB instead of the ~80 MB of {@code String} objects. Immutable once built.
 */
final class StringColumn {
    final byte[] bytes;
    final int[] ends;

    StringColumn(byte[] bytes, int[] ends) {
        this.bytes = bytes;
        this.ends = ends;
    }

    int size() {
        return ends.length;
    }

    String get(int i) {
        int start = i == 0 ? 0 : ends[i - 1];
        return new String(bytes, start, ends[i] - start, UTF_8);
    }

    long memoryBytes() {
        return 16L + bytes.length + 16L + 4L * ends.length;
    }

    /** The strings {@code [from, to)} as a new column. */
    StringColumn slice(int from, int to) {
        int start = from == 0 ? 0 : ends[from - 1];
        int end = to == 0 ? 0 : ends[to - 1];
        int[] e = new int[to - from];
        for (int i = from; i < to; i++) {
            e[i - from] = ends[i] - start;
        }
        return new StringColumn(Arrays.copyOfRange(bytes, start, end), e);
    }

    static StringColumn concat(Iterable<StringColumn> parts) {
        long nBytes = 0;
        long n = 0;
        for (StringColumn p : parts) {
            nBytes += p.bytes.length;
            n += p.ends.length;
        }
        if (nBytes > Integer.MAX_VALUE - 16 || n > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("too many or too long keys for one index: " + n + " keys, "
                    + nBytes + " bytes");
        }
        byte[] b = new byte[(int) nBytes];
        int[] e = new int[(int) n];
        int bi = 0;
        int ei = 0;
        for (StringColumn p : parts) {
            System.arraycopy(p.bytes, 0, b, bi, p.bytes.length);
            for (int end : p.ends) {
                e[ei++] = bi + end;
            }
            bi += p.bytes.length;
        }
        return new StringColumn(b, e);
    }

    /** Appends strings; not thread-safe. */
    static final class Builder {
        private byte[] bytes = new byte[256];
        private int[] ends = new int[16];
        private int n;
        private int len;

        Builder add(String s) {
            byte[] b = s.getBytes(UTF_8);
            if ((long) len + b.length > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("keys exceed 2 GiB");
            }
            if (len + b.length > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(len + b.length, (int) Math.min(Integer.MAX_VALUE - 16,
                        bytes.length * 2L)));
            }
            System.arraycopy(b, 0, bytes, len, b.length);
            len += b.length;
            if (n == ends.length) {
                ends = Arrays.copyOf(ends, n * 2);
            }
            ends[n++] = len;
            return this;
        }

        int size() {
            return n;
        }

        StringColumn build() {
            return new StringColumn(Arrays.copyOf(bytes, len), Arrays.copyOf(ends, n));
        }
    }
}
