package io.prefetchd.formats;

import java.util.Arrays;

/**
 * A WebDataset index: per sample one extent {@code [starts[i], ends[i])} in shard {@code o} where
 * {@code firstSample[o] <= i < firstSample[o + 1]}, and its key. About 20 bytes a sample plus the key's UTF-8
 * bytes. Immutable.
 */
final class WebDatasetIndex extends ObjectTableIndex {
    final int[] firstSample;
    final long[] starts;
    final long[] ends;
    final StringColumn keys;

    WebDatasetIndex(DatasetSpec spec, ObjectTable objects, int[] firstSample, long[] starts, long[] ends,
            StringColumn keys) {
        super(spec, objects);
        if (firstSample.length != objects.size() + 1 || starts.length != ends.length
                || keys.size() != starts.length || firstSample[objects.size()] != starts.length) {
            throw new IllegalArgumentException("inconsistent WebDataset index arrays");
        }
        this.firstSample = firstSample;
        this.starts = starts;
        this.ends = ends;
        this.keys = keys;
    }

    @Override
    public long sampleCount() {
        return starts.length;
    }

    @Override
    public String key(long sample) {
        return keys.get(check(sample));
    }

    @Override
    public void forEachExtent(long sample, ExtentSink sink) {
        int i = check(sample);
        sink.accept(objectOf(i), starts[i], ends[i] - starts[i]);
    }

    @Override
    public long sampleBytes(long sample) {
        int i = check(sample);
        return ends[i] - starts[i];
    }

    int objectOf(int sample) {
        int p = Arrays.binarySearch(firstSample, sample);
        if (p >= 0) {
            while (p + 1 < firstSample.length && firstSample[p + 1] == sample) {
                p++; // skip shards without samples
            }
            return p;
        }
        return -p - 2;
    }

    @Override
    public long estimatedMemoryBytes() {
        return objects.memoryBytes() + 16L + 4L * firstSample.length + 32L + 16L * starts.length
                + keys.memoryBytes() + 64;
    }

    private int check(long sample) {
        if (sample < 0 || sample >= starts.length) {
            throw new IndexOutOfBoundsException("sample " + sample + " of " + starts.length);
        }
        return (int) sample;
    }
}
