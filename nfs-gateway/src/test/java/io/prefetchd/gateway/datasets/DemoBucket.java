package io.prefetchd.gateway.datasets;

import io.prefetchd.gateway.embedded.DemoDataset;
import io.prefetchd.gateway.s3.InMemoryObjectStore;

/** An in-memory bucket holding the demo dataset (imagefolder/train: 200 files, webdataset: 4 shards, 100 samples). */
public final class DemoBucket {
    public static final int IMAGES = 200;
    public static final int WDS_SAMPLES = 100;

    private DemoBucket() {
    }

    /** The demo dataset's objects under {@code prefix} ("" for the bucket root, else ending in '/'). */
    public static InMemoryObjectStore create(String prefix) {
        InMemoryObjectStore store = new InMemoryObjectStore("demo");
        DemoDataset demo = new DemoDataset();
        for (String key : demo.keys()) {
            store.put(prefix + key, demo.content(key));
        }
        return store;
    }
}
