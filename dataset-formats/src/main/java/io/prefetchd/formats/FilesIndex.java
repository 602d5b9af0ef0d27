package io.prefetchd.formats;

import java.util.List;

/** A file-per-sample index: sample {@code i} is object {@code i}, whole. Immutable. */
final class FilesIndex implements DatasetIndex {
    private final DatasetSpec spec;
    final ObjectTable objects;
    private final List<ObjectRef> objectList;

    FilesIndex(DatasetSpec spec, ObjectTable objects) {
        this.spec = spec;
        this.objects = objects;
        this.objectList = objects.asList();
    }

    @Override
    public DatasetSpec spec() {
        return spec;
    }

    @Override
    public long sampleCount() {
        return objects.size();
    }

    @Override
    public String key(long sample) {
        return objects.key(check(sample));
    }

    @Override
    public void forEachExtent(long sample, ExtentSink sink) {
        int i = check(sample);
        if (objects.sizes[i] > 0) { // an empty file is a sample with no bytes to fetch
            sink.accept(i, 0, objects.sizes[i]);
        }
    }

    @Override
    public List<ObjectRef> objects() {
        return objectList;
    }

    @Override
    public String objectKey(int object) {
        return objects.key(object);
    }

    @Override
    public long totalBytes() {
        return objects.totalBytes();
    }

    @Override
    public long estimatedMemoryBytes() {
        return objects.memoryBytes() + 48;
    }

    private int check(long sample) {
        if (sample < 0 || sample >= objects.size()) {
            throw new IndexOutOfBoundsException("sample " + sample + " of " + objects.size());
        }
        return (int) sample;
    }
}
