package io.prefetchd.formats;

import java.util.List;

/**
 * What every index shares: its spec and the table of objects it was built from (keys, sizes, ETags), with the
 * {@link DatasetIndex} methods that only read them. Immutable.
 */
abstract class ObjectTableIndex implements DatasetIndex {
    private final DatasetSpec spec;
    final ObjectTable objects;
    private final List<ObjectRef> objectList;

    ObjectTableIndex(DatasetSpec spec, ObjectTable objects) {
        this.spec = spec;
        this.objects = objects;
        this.objectList = objects.asList();
    }

    @Override
    public final DatasetSpec spec() {
        return spec;
    }

    @Override
    public final List<ObjectRef> objects() {
        return objectList;
    }

    @Override
    public final String objectKey(int object) {
        return objects.key(object);
    }

    @Override
    public final long objectSize(int object) {
        return objects.size(object);
    }

    @Override
    public final int objectIndex(String key) {
        return objects.indexOf(key);
    }

    @Override
    public final long totalBytes() {
        return objects.totalBytes();
    }
}
