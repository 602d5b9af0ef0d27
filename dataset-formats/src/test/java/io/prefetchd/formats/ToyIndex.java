package io.prefetchd.formats;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * A dataset index written by hand, for tests of what reads indexes: each sample is one extent given as a row
 * {@code {object, offset, length}} over {@code objects}. Shared through this module's test-jar.
 */
public final class ToyIndex implements DatasetIndex {
    private final DatasetSpec spec;
    private final List<ObjectRef> objects;
    private final long[][] extents;

    private ToyIndex(DatasetSpec spec, List<ObjectRef> objects, long[][] extents) {
        this.spec = requireNonNull(spec, "spec is null");
        this.objects = List.copyOf(requireNonNull(objects, "objects is null"));
        this.extents = extents.clone();
        for (long[] e : this.extents) {
            if (e.length != 3 || e[0] < 0 || e[0] >= this.objects.size()) {
                throw new IllegalArgumentException("an extent is {object, offset, length} over "
                        + this.objects.size() + " objects: " + java.util.Arrays.toString(e));
            }
        }
    }

    /** An index of {@code spec} whose sample {@code i} is the extent {@code extents[i]}. */
    public static ToyIndex of(DatasetSpec spec, List<ObjectRef> objects, long[]... extents) {
        return new ToyIndex(spec, objects, extents);
    }

    @Override
    public DatasetSpec spec() {
        return spec;
    }

    @Override
    public long sampleCount() {
        return extents.length;
    }

    /** {@code s<sample>}. */
    @Override
    public String key(long sample) {
        return "s" + sample;
    }

    @Override
    public void forEachExtent(long sample, ExtentSink sink) {
        long[] e = extents[(int) sample];
        sink.accept((int) e[0], e[1], e[2]);
    }

    @Override
    public List<ObjectRef> objects() {
        return objects;
    }

    @Override
    public long totalBytes() {
        return objects.stream().mapToLong(ObjectRef::size).sum();
    }

    @Override
    public long estimatedMemoryBytes() {
        return 0;
    }
}
