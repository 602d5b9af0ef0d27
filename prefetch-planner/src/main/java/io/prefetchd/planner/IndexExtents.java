package io.prefetchd.planner;

import io.prefetchd.formats.DatasetIndex;

import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * A format index as the planner's dataset, read on demand: sample {@code i} is the index's sample {@code i}, each
 * extent named by its object's key and numbered by the object's place in the index. Nothing per sample or object is
 * copied; a mapped index stays mapped, and a planner over it asks the index for keys ({@link DatasetIndex#objectKey})
 * and for the object of a key ({@link DatasetIndex#objectIndex}: a binary search over the mapped keys) when it needs
 * them. The key of the object visited last is remembered, since a walk of a shard's samples names one object many
 * times.
 *
 * <p>Thread-safe: the remembered key is an immutable value.
 */
final class IndexExtents implements NumberedObjects {
    private final DatasetIndex index;
    private final int objectCount;
    private volatile Key last = new Key(-1, "");

    IndexExtents(DatasetIndex index) {
        this.index = requireNonNull(index, "index is null");
        if (index.sampleCount() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("the planner takes at most " + Integer.MAX_VALUE + " samples, not "
                    + index.sampleCount());
        }
        this.objectCount = index.objects().size();
    }

    /** An object's key with its number. */
    private record Key(int object, String key) {
    }

    @Override
    public int sampleCount() {
        return (int) index.sampleCount();
    }

    @Override
    public List<Extent> extentsOf(int sample) {
        List<Extent> out = new ArrayList<>(2);
        forEachExtent(sample, (object, offset, length) -> out.add(new Extent(object, offset, length)));
        return out;
    }

    @Override
    public void forEachExtent(int sample, ExtentVisitor visitor) {
        index.forEachExtent(sample, (object, offset, length) -> visitor.accept(objectName(object), offset, length));
    }

    @Override
    public void forEachNumberedExtent(int sample, NumberedVisitor visitor) {
        index.forEachExtent(sample, visitor::accept);
    }

    @Override
    public int objectCount() {
        return objectCount;
    }

    @Override
    public String objectName(int object) {
        Key k = last;
        if (k.object() != object) {
            k = new Key(object, index.objectKey(object));
            last = k;
        }
        return k.key();
    }

    @Override
    public int objectNumber(String name) {
        return index.objectIndex(requireNonNull(name, "name is null"));
    }
}
