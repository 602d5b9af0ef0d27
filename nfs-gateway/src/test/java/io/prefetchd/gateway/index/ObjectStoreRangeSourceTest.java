package io.prefetchd.gateway.index;

import io.prefetchd.formats.RangeSource;
import io.prefetchd.formats.RangeSourceContract;
import io.prefetchd.gateway.s3.InMemoryObjectStore;

import java.util.Map;

/** The dataset-formats RangeSource contract over the gateway's store (the in-memory fake here). */
class ObjectStoreRangeSourceTest extends RangeSourceContract {
    @Override
    protected RangeSource sourceWith(Map<String, byte[]> objects) {
        InMemoryObjectStore store = new InMemoryObjectStore("contract");
        objects.forEach(store::put);
        return new ObjectStoreRangeSource(store);
    }
}
