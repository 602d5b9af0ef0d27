package io.prefetchd.planner;

import io.prefetchd.formats.DatasetIndex;

import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * A format index as the planner's dataset, read on demand: sample {@code i} is the index's sample {@code i}, each
 * extent named by its object's key. Nothing per sample is copied; a mapped index stays mapped. The object keys are
 * looked up once per object and kept (one string an object, shared by all its extents).
 *
 * <p>Immutable once every key was looked up; the lazy key cache tolerates races (two threads may look one key up).
 */
final class IndexExtents implements SampleExtents {
    private final DatasetIndex index;
    private final String[] keys;

    IndexExtents(DatasetIndex index) {
        this.index = requireNonNull(index, "index is null");
        if (index.sampleCount() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("the planner takes at most " + Integer.MAX_VALUE + " samples, not "
                    + index.sampleCount());
        }
        this.keys = new String[index.objects().size()];
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
        index.forEachExtent(sample, (object, offset, length) -> visitor.accept(key(object), offset, length));
    }

    private String key(int object) {
        String k = keys[object];
        if (k == null) {
            k = index.objectKey(object);
            keys[object] = k;
        }
        return k;
    }
}
