package io.prefetchd.formats;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.Arrays;

/**
 * Many short strings as UTF-8 bytes end to end plus each one's end offset: on the heap while an index is built
 * (a million 20-byte keys take 24 MB instead of the ~80 MB of {@code String} objects), in a mapped index file
 * once persisted (no heap at all). Immutable once built.
 */
interface StringColumn {
    int size();

    String get(int i);

    /** The UTF-8 bytes of string {@code i}. */
    byte[] utf8(int i);

    /** Heap bytes the column holds. */
    long memoryBytes();

    /**
     * Compares string {@code i} with {@code probe} (UTF-8) byte by byte, unsigned: the order of code points, as
     * S3 lists keys.
     */
    default int compareTo(int i, byte[] probe) {
        return Arrays.compareUnsigned(utf8(i), probe);
    }

    /** The strings {@code [from, to)} as a new heap column. */
    default StringColumn slice(int from, int to) {
        Builder b = new Builder();
        for (int i = from; i < to; i++) {
            b.add(get(i));
        }
        return b.build();
    }

    static StringColumn concat(Iterable<StringColumn> parts) {
        long n = 0;
        for (StringColumn p : parts) {
            n += p.size();
        }
        if (n > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("too many keys for one index: " + n);
        }
        Builder b = new Builder();
        for (StringColumn p : parts) {
            if (p instanceof Heap h) {
                b.addAll(h);
            } else {
                for (int i = 0; i < p.size(); i++) {
                    b.add(p.get(i));
                }
            }
        }
        return b.build();
    }

    /** {@code ends} (cumulative byte lengths) at {@code endsOffset} and the bytes at {@code bytesOffset}. */
    static StringColumn mapped(MappedFile file, long endsOffset, long bytesOffset, int size) {
        return new Mapped(LongColumn.mapped(file, endsOffset, size), file, bytesOffset);
    }

    /** A heap column. */
    record Heap(byte[] bytes, int[] ends) implements StringColumn {
        @Override
        public int size() {
            return ends.length;
        }

        @Override
        public String get(int i) {
            int start = i == 0 ? 0 : ends[i - 1];
            return new String(bytes, start, ends[i] - start, UTF_8);
        }

        @Override
        public byte[] utf8(int i) {
            return Arrays.copyOfRange(bytes, i == 0 ? 0 : ends[i - 1], ends[i]);
        }

        @Override
        public int compareTo(int i, byte[] probe) {
            return Arrays.compareUnsigned(bytes, i == 0 ? 0 : ends[i - 1], ends[i], probe, 0, probe.length);
        }

        @Override
        public long memoryBytes() {
            return 16L + bytes.length + 16L + 4L * ends.length + 16;
        }
    }

    /** A column in a mapped index file: string {@code i} is bytes {@code [ends[i-1], ends[i])} of the region. */
    record Mapped(LongColumn ends, MappedFile file, long bytesOffset) implements StringColumn {
        @Override
        public int size() {
            return ends.size();
        }

        @Override
        public String get(int i) {
            return new String(utf8(i), UTF_8);
        }

        @Override
        public byte[] utf8(int i) {
            long start = i == 0 ? 0 : ends.get(i - 1);
            byte[] out = new byte[(int) (ends.get(i) - start)];
            file.get(bytesOffset + start, out, 0, out.length);
            return out;
        }

        @Override
        public long memoryBytes() {
            return 64;
        }
    }

    /** Appends strings; not thread-safe. */
    final class Builder {
        private byte[] bytes = new byte[256];
        private int[] ends = new int[16];
        private int n;
        private int len;

        public Builder add(String s) {
            byte[] b = s.getBytes(UTF_8);
            append(b, 0, b.length);
            return this;
        }

        void addAll(Heap h) {
            for (int i = 0; i < h.ends.length; i++) {
                int start = i == 0 ? 0 : h.ends[i - 1];
                append(h.bytes, start, h.ends[i] - start);
            }
        }

        private void append(byte[] b, int from, int count) {
            if ((long) len + count > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("keys exceed 2 GiB");
            }
            if (len + count > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(len + count, (int) Math.min(Integer.MAX_VALUE - 16,
                        bytes.length * 2L)));
            }
            System.arraycopy(b, from, bytes, len, count);
            len += count;
            if (n == ends.length) {
                ends = Arrays.copyOf(ends, n * 2);
            }
            ends[n++] = len;
        }

        public int size() {
            return n;
        }

        public StringColumn build() {
            return new Heap(Arrays.copyOf(bytes, len), Arrays.copyOf(ends, n));
        }
    }
}
