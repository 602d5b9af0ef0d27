package io.prefetchd.formats;

import java.io.IOException;
import java.util.List;

/**
 * What one format contributes to index building: which objects make up a dataset, how to read one object's
 * metadata into a part, and how parts combine into an index (and split back into parts, so that a refresh
 * rescans only changed objects). Implementations are stateless.
 */
interface FormatHandler<P extends FormatHandler.Part> {

    /** One object's share of an index. Immutable. */
    interface Part {
        ObjectRef object();
    }

    /**
     * The dataset's objects in dataset order. Objects that the spec names but that do not exist (a shard of a
     * brace pattern) are added to {@code failures}.
     */
    List<ObjectRef> resolve(RangeSource source, DatasetSpec spec, List<ObjectFailure> failures) throws IOException;

    /** Reads one object's metadata. */
    P scan(CountingSource source, ObjectRef object, DatasetSpec spec) throws IOException;

    /** An index over {@code parts}, in their order. */
    DatasetIndex assemble(DatasetSpec spec, List<P> parts);

    /** The parts of an index this handler assembled. */
    List<P> parts(DatasetIndex index);
}
