package io.prefetchd.formats;


/** A file-per-sample index: sample {@code i} is object {@code i}, whole; mapped once persisted. Immutable. */
final class FilesIndex extends ObjectTableIndex {

    FilesIndex(DatasetSpec spec, ObjectTable objects) {
        super(spec, objects);
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
        long size = objects.size(i);
        if (size > 0) { // an empty file is a sample with no bytes to fetch
            sink.accept(i, 0, size);
        }
    }

    @Override
    public long sampleAt(int object, long offset) {
        return object >= 0 && object < objects.size() && offset >= 0 && offset < objects.size(object) ? object : -1;
    }

    /** A whole-file sample's only bounds are its object's start and end. */
    @Override
    public ExtentBounds extentBounds() {
        return new ExtentBounds() {
            @Override
            public long floor(int object, long pos) {
                long size = objects.size(object);
                return pos >= size && size > 0 ? size : pos >= 0 && size > 0 ? 0 : NONE_BEFORE;
            }

            @Override
            public long higher(int object, long pos) {
                long size = objects.size(object);
                return size == 0 ? NONE_AFTER : pos < 0 ? 0 : pos < size ? size : NONE_AFTER;
            }
        };
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
