package io.prefetchd.benchmarks.scale;

import io.prefetchd.formats.ObjectRef;
import io.prefetchd.formats.RangeSource;

import java.io.InputStream;
import java.util.Optional;

/** A source that only lists, for building file-per-sample indexes: every other call fails. */
interface ListingOnlySource extends RangeSource {
    @Override
    default Optional<ObjectRef> head(String key) {
        throw new UnsupportedOperationException("list only");
    }

    @Override
    default byte[] read(ObjectRef object, long offset, int length) {
        throw new UnsupportedOperationException("list only");
    }

    @Override
    default InputStream stream(ObjectRef object) {
        throw new UnsupportedOperationException("list only");
    }
}
