package io.prefetchd.benchmarks.scale;

import io.prefetchd.formats.ObjectRef;

import java.util.ArrayList;
import java.util.List;

/**
 * A source that only lists, computing its objects as they are asked for, as the gateway's S3 source does page by
 * page: the paged listing hands each object out and keeps none; {@link #list(String)} collects all of them first,
 * as the S3 source's whole listing does. {@code probe} runs every {@code probeEvery} objects, where a heap meter
 * can look.
 */
record SyntheticListingSource(List<ObjectRef> objects, int probeEvery, Runnable probe) implements ListingOnlySource {

    @Override
    public List<ObjectRef> list(String prefix) {
        List<ObjectRef> held = new ArrayList<>();
        for (int i = 0; i < objects.size(); i++) {
            held.add(objects.get(i));
            probeAt(i);
        }
        return held;
    }

    @Override
    public void list(String prefix, ListingConsumer each) throws java.io.IOException {
        for (int i = 0; i < objects.size(); i++) {
            each.accept(objects.get(i));
            probeAt(i);
        }
    }

    private void probeAt(int i) {
        if (i % probeEvery == probeEvery - 1) {
            probe.run();
        }
    }
}
