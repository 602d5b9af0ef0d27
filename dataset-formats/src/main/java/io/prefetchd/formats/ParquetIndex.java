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

    ParquetIndex(DatasetSpec spec, List<ParquetHandler.FilePart> parts) {
        super(spec, ObjectTable.of(parts.stream().map(ParquetHandler.FilePart::object).toList()));
        this.parts = parts.toArray(new ParquetHandler.FilePart[0]);
        this.firstRow = new long[parts.size() + 1];
        for (int i = 0; i < parts.size(); i++) {
            firstRow[i + 1] = firstRow[i] + parts.get(i).rows();
        }
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
            m += p.memoryBytes();
        }
        return m;
    }
}
