package io.prefetchd.formats;

import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;

/**
 * The objects of an index (key, size, ETag) in compact columns, so that a file-per-sample dataset with a
 * million objects costs ~50 bytes an object plus its key rather than three objects each. Immutable.
 */
final class ObjectTable {
    final StringColumn keys;
    final StringColumn etags;
    final long[] sizes;

    ObjectTable(StringColumn keys, StringColumn etags, long[] sizes) {
        if (keys.size() != sizes.length || etags.size() != sizes.length) {
            throw new IllegalArgumentException("column lengths differ");
        }
        this.keys = keys;
        this.etags = etags;
        this.sizes = sizes;
    }

    static ObjectTable of(List<ObjectRef> refs) {
        StringColumn.Builder k = new StringColumn.Builder();
        StringColumn.Builder e = new StringColumn.Builder();
        long[] s = new long[refs.size()];
        for (int i = 0; i < s.length; i++) {
            ObjectRef r = refs.get(i);
            k.add(r.key());
            e.add(r.etag());
            s[i] = r.size();
        }
        return new ObjectTable(k.build(), e.build(), s);
    }

    int size() {
        return sizes.length;
    }

    String key(int i) {
        return keys.get(i);
    }

    ObjectRef ref(int i) {
        return new ObjectRef(keys.get(i), sizes[i], etags.get(i));
    }

    long totalBytes() {
        long t = 0;
        for (long s : sizes) {
            t += s;
        }
        return t;
    }

    long memoryBytes() {
        return keys.memoryBytes() + etags.memoryBytes() + 16L + 8L * sizes.length + 32;
    }

    List<ObjectRef> asList() {
        return new Refs();
    }

    private final class Refs extends AbstractList<ObjectRef> implements RandomAccess {
        @Override
        public ObjectRef get(int index) {
            return ref(index);
        }

        @Override
        public int size() {
            return sizes.length;
        }
    }
}
