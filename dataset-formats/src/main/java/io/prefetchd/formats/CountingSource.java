package io.prefetchd.formats;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

/** Counts the requests and bytes an index build asks of a source. Thread-safe. */
final class CountingSource implements RangeSource {
    private final RangeSource delegate;
    final LongAdder requests = new LongAdder();
    final LongAdder bytesRequested = new LongAdder();
    final LongAdder metadataBytes = new LongAdder();

    CountingSource(RangeSource delegate) {
        this.delegate = delegate;
    }

    @Override
    public List<ObjectRef> list(String prefix) throws IOException {
        return delegate.list(prefix);
    }

    @Override
    public void list(String prefix, ListingConsumer each) throws IOException {
        delegate.list(prefix, each);
    }

    @Override
    public Optional<ObjectRef> head(String key) throws IOException {
        return delegate.head(key);
    }

    @Override
    public byte[] read(ObjectRef object, long offset, int length) throws IOException {
        requests.increment();
        byte[] b = delegate.read(object, offset, length);
        bytesRequested.add(b.length);
        return b;
    }

    @Override
    public InputStream stream(ObjectRef object) throws IOException {
        requests.increment();
        bytesRequested.add(object.size());
        return delegate.stream(object);
    }
}
