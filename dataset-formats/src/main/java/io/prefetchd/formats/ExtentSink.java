package io.prefetchd.formats;

/**
 * Receives a sample's extents without allocating: {@code object} indexes {@link DatasetIndex#objects()}.
 */
@FunctionalInterface
public interface ExtentSink {
    void accept(int object, long offset, long length);
}
