package io.prefetchd.benchmarks.scale;

import io.prefetchd.formats.DatasetIndex;
import io.prefetchd.formats.DatasetSpec;
import io.prefetchd.formats.ExtentSink;
import io.prefetchd.formats.FileLayout;
import io.prefetchd.formats.ObjectRef;

import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;

/**
 * A file-per-sample index computed on the fly, never held: {@code samples} objects {@code train/000000123.jpg} of
 * {@link #SAMPLE_BYTES} bytes, each with a 32-hex-digit ETag as S3 gives for a single-part upload. It exists so that
 * a 100 M-sample index file can be written without the heap a built index of that size would need.
 */
final class SyntheticFiles implements DatasetIndex {
    static final long SAMPLE_BYTES = 100_000;

    private final long samples;

    SyntheticFiles(long samples) {
        this.samples = samples;
    }

    @Override
    public DatasetSpec spec() {
        return DatasetSpec.files("train", FileLayout.SORTED);
    }

    @Override
    public long sampleCount() {
        return samples;
    }

    @Override
    public String key(long sample) {
        return objects().get((int) sample).key();
    }

    @Override
    public void forEachExtent(long sample, ExtentSink sink) {
        sink.accept((int) sample, 0, SAMPLE_BYTES);
    }

    @Override
    public List<ObjectRef> objects() {
        return new Files();
    }

    @Override
    public long totalBytes() {
        return samples * SAMPLE_BYTES;
    }

    @Override
    public long estimatedMemoryBytes() {
        return 0;
    }

    static String key(int o) {
        char[] c = new char[19];
        "train/".getChars(0, 6, c, 0);
        for (int i = 14, v = o; i >= 6; i--, v /= 10) {
            c[i] = (char) ('0' + v % 10);
        }
        ".jpg".getChars(0, 4, c, 15);
        return new String(c);
    }

    private static String etag(int o) {
        long h = o * 0x9E3779B97F4A7C15L;
        char[] c = new char[32];
        hex(h, c, 0);
        hex(Long.rotateLeft(h, 29) ^ 0x5DEECE66DL, c, 16);
        return new String(c);
    }

    private static void hex(long v, char[] out, int at) {
        for (int i = 15; i >= 0; i--, v >>>= 4) {
            out[at + i] = Character.forDigit((int) (v & 0xf), 16);
        }
    }

    private final class Files extends AbstractList<ObjectRef> implements RandomAccess {
        @Override
        public ObjectRef get(int o) {
            return new ObjectRef(key(o), SAMPLE_BYTES, etag(o));
        }

        @Override
        public int size() {
            return (int) samples;
        }
    }
}
