package io.prefetchd.formats;

/**
 * A WebDataset index: per sample one extent {@code [starts[i], ends[i])} in shard {@code o} where
 * {@code firstSample[o] <= i < firstSample[o + 1]}, and its key. On the heap while built (about 20 bytes a
 * sample plus the key's UTF-8 bytes); mapped from its file once persisted. A shard's samples are in tar order,
 * so their starts increase. Immutable.
 */
final class WebDatasetIndex extends ObjectTableIndex {
    final IntColumn firstSample;
    final LongColumn starts;
    final LongColumn ends;
    final StringColumn keys;

    WebDatasetIndex(DatasetSpec spec, ObjectTable objects, IntColumn firstSample, LongColumn starts, LongColumn ends,
            StringColumn keys) {
        super(spec, objects);
        if (firstSample.size() != objects.size() + 1 || starts.size() != ends.size()
                || keys.size() != starts.size() || firstSample.get(objects.size()) != starts.size()) {
            throw new IllegalArgumentException("inconsistent WebDataset index arrays");
        }
        this.firstSample = firstSample;
        this.starts = starts;
        this.ends = ends;
        this.keys = keys;
    }

    WebDatasetIndex(DatasetSpec spec, ObjectTable objects, int[] firstSample, long[] starts, long[] ends,
            StringColumn keys) {
        this(spec, objects, IntColumn.of(firstSample), LongColumn.of(starts), LongColumn.of(ends), keys);
    }

    @Override
    public long sampleCount() {
        return starts.size();
    }

    @Override
    public String key(long sample) {
        return keys.get(check(sample));
    }

    @Override
    public void forEachExtent(long sample, ExtentSink sink) {
        int i = check(sample);
        long start = starts.get(i);
        sink.accept(objectOf(i), start, ends.get(i) - start);
    }

    @Override
    public long sampleBytes(long sample) {
        int i = check(sample);
        return ends.get(i) - starts.get(i);
    }

    @Override
    public long sampleAt(int object, long offset) {
        if (object < 0 || object >= objects.size()) {
            return -1;
        }
        int found = lastStartingAtOrBefore(object, offset);
        return found >= 0 && offset < ends.get(found) ? found : -1;
    }

    /**
     * A shard's samples are disjoint and in tar order, so its bounds are {@code starts[i] <= ends[i] <= starts[i+1]}
     * and the neighbours of an offset are found around the last sample starting at or before it.
     */
    @Override
    public ExtentBounds extentBounds() {
        return new ExtentBounds() {
            @Override
            public long floor(int object, long pos) {
                int i = lastStartingAtOrBefore(object, pos);
                if (i < 0) {
                    return NONE_BEFORE;
                }
                long end = ends.get(i);
                return end <= pos ? end : starts.get(i);
            }

            @Override
            public long higher(int object, long pos) {
                int i = lastStartingAtOrBefore(object, pos);
                if (i >= 0 && ends.get(i) > pos) {
                    return ends.get(i);
                }
                int next = i >= 0 ? i + 1 : firstSample.get(object);
                return next < firstSample.get(object + 1) ? starts.get(next) : NONE_AFTER;
            }
        };
    }

    /** The last sample of {@code object} whose extent starts at or before {@code offset}, or -1. */
    private int lastStartingAtOrBefore(int object, long offset) {
        int lo = firstSample.get(object);
        int hi = firstSample.get(object + 1) - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (starts.get(mid) <= offset) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    int objectOf(int sample) {
        // the last shard starting at or before the sample: a shard without samples starts where the next one
        // does, and the last of equal starts is the one that holds the sample
        return firstSample.floor(sample);
    }

    @Override
    public long estimatedMemoryBytes() {
        return objects.memoryBytes() + firstSample.memoryBytes() + starts.memoryBytes() + ends.memoryBytes()
                + keys.memoryBytes() + 64;
    }

    private int check(long sample) {
        if (sample < 0 || sample >= starts.size()) {
            throw new IndexOutOfBoundsException("sample " + sample + " of " + starts.size());
        }
        return (int) sample;
    }
}
