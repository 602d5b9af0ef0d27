package io.prefetchd.benchmarks.scale;

import io.prefetchd.formats.DatasetIndex;
import io.prefetchd.formats.DatasetSpec;
import io.prefetchd.formats.ExtentSink;
import io.prefetchd.formats.ObjectRef;

import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;

/**
 * A WebDataset index computed on the fly, never held: {@code samples} samples of {@link #SAMPLE_BYTES} bytes (a
 * 512-byte tar header before each), {@link #PER_SHARD} to a shard, keys {@code s000000000}... It exists so that
 * a 100 M-sample index file can be written without the heap a built index of that size would need.
 */
final class SyntheticWebDataset implements DatasetIndex {
    static final int PER_SHARD = 10_000;
    static final long SAMPLE_BYTES = 100_000;
    private static final long STRIDE = SAMPLE_BYTES + 512;

    private final long samples;
    private final int shards;

    SyntheticWebDataset(long samples) {
        this.samples = samples;
        this.shards = (int) ((samples + PER_SHARD - 1) / PER_SHARD);
    }

    @Override
    public DatasetSpec spec() {
        return DatasetSpec.webDataset("train");
    }

    @Override
    public long sampleCount() {
        return samples;
    }

    @Override
    public String key(long sample) {
        char[] c = new char[10];
        c[0] = 's';
        for (int i = 9, v = (int) sample; i > 0; i--, v /= 10) {
            c[i] = (char) ('0' + v % 10);
        }
        return new String(c);
    }

    @Override
    public void forEachExtent(long sample, ExtentSink sink) {
        sink.accept((int) (sample / PER_SHARD), (sample % PER_SHARD) * STRIDE + 512, SAMPLE_BYTES);
    }

    @Override
    public List<ObjectRef> objects() {
        return new Shards();
    }

    @Override
    public long totalBytes() {
        long t = 0;
        for (int o = 0; o < shards; o++) {
            t += shardSize(o);
        }
        return t;
    }

    @Override
    public long estimatedMemoryBytes() {
        return 0;
    }

    private long shardSize(int o) {
        long n = Math.min(PER_SHARD, samples - (long) o * PER_SHARD);
        return n * STRIDE + 1024; // two zero blocks end a tar
    }

    private final class Shards extends AbstractList<ObjectRef> implements RandomAccess {
        @Override
        public ObjectRef get(int o) {
            return new ObjectRef(String.format("train/shard-%06d.tar", o), shardSize(o), "etag-" + o);
        }

        @Override
        public int size() {
            return shards;
        }
    }
}
