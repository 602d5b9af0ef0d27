package io.prefetchd.formats;

/**
 * A read-only column of longs: an array while an index is being built, a region of a mapped index file once it
 * was persisted (then it costs no heap). Immutable.
 */
interface LongColumn {
    int size();

    long get(int i);

    /** Heap bytes the column holds. */
    long memoryBytes();

    static LongColumn of(long[] values) {
        return new Heap(values);
    }

    /** {@code size} longs at {@code offset} of {@code file}. */
    static LongColumn mapped(MappedFile file, long offset, int size) {
        return new Mapped(file, offset, size);
    }

    record Heap(long[] values) implements LongColumn {
        @Override
        public int size() {
            return values.length;
        }

        @Override
        public long get(int i) {
            return values[i];
        }

        @Override
        public long memoryBytes() {
            return 16L + 8L * values.length + 16;
        }
    }

    record Mapped(MappedFile file, long offset, int size) implements LongColumn {
        @Override
        public long get(int i) {
            if (i < 0 || i >= size) {
                throw new IndexOutOfBoundsException("element " + i + " of " + size);
            }
            return file.getLong(offset + 8L * i);
        }

        @Override
        public long memoryBytes() {
            return 32;
        }
    }
}
