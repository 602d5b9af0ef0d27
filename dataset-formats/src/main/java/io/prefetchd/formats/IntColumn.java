package io.prefetchd.formats;

/**
 * A read-only column of ints: an array while an index is being built, a region of a mapped index file once it
 * was persisted (then it costs no heap). Immutable.
 */
interface IntColumn {
    int size();

    int get(int i);

    /** Heap bytes the column holds. */
    long memoryBytes();

    static IntColumn of(int[] values) {
        return new Heap(values);
    }

    /** {@code size} ints at {@code offset} of {@code file}. */
    static IntColumn mapped(MappedFile file, long offset, int size) {
        return new Mapped(file, offset, size);
    }

    /** The last index {@code i} with {@code get(i) <= v}, or -1; the column must be non-decreasing. */
    default int floor(int v) {
        int lo = 0;
        int hi = size() - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (get(mid) <= v) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    record Heap(int[] values) implements IntColumn {
        @Override
        public int size() {
            return values.length;
        }

        @Override
        public int get(int i) {
            return values[i];
        }

        @Override
        public long memoryBytes() {
            return 16L + 4L * values.length + 16;
        }
    }

    record Mapped(MappedFile file, long offset, int size) implements IntColumn {
        @Override
        public int get(int i) {
            if (i < 0 || i >= size) {
                throw new IndexOutOfBoundsException("element " + i + " of " + size);
            }
            return file.getInt(offset + 4L * i);
        }

        @Override
        public long memoryBytes() {
            return 32;
        }
    }
}
