package io.prefetchd.formats;

import java.util.List;

/**
 * A Parquet index: per file its row groups, column chunks and pages, so its size follows the number of pages,
 * not rows. Row {@code r} is found by two binary searches (file, row group) and one per column (page).
 * Immutable.
 */
final class ParquetIndex extends ObjectTableIndex {
    private final ParquetHandler.FilePart[] parts;
    private final long[] firstRow;
    /** Per file, its chunks in order of their start offset (for {@link #sampleAt}). */
    private final int[][] chunksByStart;

    ParquetIndex(DatasetSpec spec, List<ParquetHandler.FilePart> parts) {
        this(spec, ObjectTable.of(parts.stream().map(ParquetHandler.FilePart::object).toList()), parts);
    }

    /** With the table of the files (mapped when loaded), which must list the parts' objects in order. */
    ParquetIndex(DatasetSpec spec, ObjectTable objects, List<ParquetHandler.FilePart> parts) {
        super(spec, objects);
        if (objects.size() != parts.size()) {
            throw new IllegalArgumentException(objects.size() + " objects for " + parts.size() + " Parquet files");
        }
        this.parts = parts.toArray(new ParquetHandler.FilePart[0]);
        this.firstRow = new long[parts.size() + 1];
        for (int i = 0; i < parts.size(); i++) {
            firstRow[i + 1] = firstRow[i] + parts.get(i).rows();
        }
        this.chunksByStart = new int[parts.size()][];
        for (int i = 0; i < parts.size(); i++) {
            long[] start = parts.get(i).chunkStart();
            int[] order = new int[start.length];
            for (int k = 0; k < order.length; k++) {
                order[k] = k;
            }
            IntArrays.mergeSort(order, (a, b) -> Long.compare(start[a], start[b]));
            chunksByStart[i] = order;
        }
    }

    @Override
    public long sampleAt(int object, long offset) {
        if (object < 0 || object >= parts.length) {
            return -1;
        }
        ParquetHandler.FilePart p = parts[object];
        int[] order = chunksByStart[object];
        int lo = 0;
        int hi = order.length - 1;
        int found = -1;
        while (lo <= hi) { // the last chunk starting at or before offset
            int mid = (lo + hi) >>> 1;
            if (p.chunkStart()[order[mid]] <= offset) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        if (found < 0) {
            return -1;
        }
        long row = p.firstRowAt(order[found], offset);
        return row < 0 ? -1 : firstRow[object] + row;
    }

    List<ParquetHandler.FilePart> parts() {
        return List.of(parts);
    }

    @Override
    public long sampleCount() {
        return firstRow[parts.length];
    }

    @Override
    public String key(long sample) {
        int f = fileOf(sample);
        return objects.key(f) + "#" + (sample - firstRow[f]);
    }

    @Override
    public void forEachExtent(long sample, ExtentSink sink) {
        int f = fileOf(sample);
        parts[f].forEachExtent(f, sample - firstRow[f], sink);
    }

    private int fileOf(long sample) {
        if (sample < 0 || sample >= sampleCount()) {
            throw new IndexOutOfBoundsException("sample " + sample + " of " + sampleCount());
        }
        return ParquetHandler.upperBound(firstRow, sample) - 1;
    }

    @Override
    public long estimatedMemoryBytes() {
        long m = objects.memoryBytes() + 16L + 8L * firstRow.length + 16L + 4L * parts.length + 64;
        for (ParquetHandler.FilePart p : parts) {
            m += p.memoryBytes() + 16L + 4L * p.chunkStart().length;
        }
        return m;
    }
}
