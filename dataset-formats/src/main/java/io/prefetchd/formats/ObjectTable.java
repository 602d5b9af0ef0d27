package io.prefetchd.formats;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;
import java.util.function.IntBinaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * The objects of an index (key, size, ETag) in columns: on the heap (~50 bytes an object plus its key) while an
 * index is built, in the mapped index file once persisted. Finds an object by key with a binary search over the
 * objects in key order (the identity when they are listed in key order, as S3 lists them), so a lookup needs no
 * hash map of a million keys. Immutable; thread-safe.
 */
final class ObjectTable {
    final StringColumn keys;
    final StringColumn etags;
    final LongColumn sizes;
    private final long totalBytes;
    /** Object numbers in key order; empty when the objects are in key order. Computed on first use if null. */
    private volatile @Nullable IntColumn byKey;

    ObjectTable(StringColumn keys, StringColumn etags, LongColumn sizes, long totalBytes, @Nullable IntColumn byKey) {
        if (keys.size() != sizes.size() || etags.size() != sizes.size()) {
            throw new IllegalArgumentException("column lengths differ");
        }
        if (byKey != null && byKey.size() != 0 && byKey.size() != sizes.size()) {
            throw new IllegalArgumentException("key order has " + byKey.size() + " entries for " + sizes.size()
                    + " objects");
        }
        this.keys = keys;
        this.etags = etags;
        this.sizes = sizes;
        this.totalBytes = totalBytes;
        this.byKey = byKey;
    }

    static ObjectTable of(List<ObjectRef> refs) {
        StringColumn.Builder k = new StringColumn.Builder();
        StringColumn.Builder e = new StringColumn.Builder();
        long[] s = new long[refs.size()];
        long total = 0;
        for (int i = 0; i < s.length; i++) {
            ObjectRef r = refs.get(i);
            k.add(r.key());
            e.add(r.etag());
            s[i] = r.size();
            total += s[i];
        }
        return new ObjectTable(k.build(), e.build(), LongColumn.of(s), total, null);
    }

    int size() {
        return sizes.size();
    }

    String key(int i) {
        return keys.get(i);
    }

    long size(int i) {
        return sizes.get(i);
    }

    ObjectRef ref(int i) {
        return new ObjectRef(keys.get(i), sizes.get(i), etags.get(i));
    }

    long totalBytes() {
        return totalBytes;
    }

    /** The objects in key order, empty when that is their own order. */
    IntColumn keyOrder() {
        IntColumn k = byKey;
        if (k == null) {
            k = keyOrder(keys);
            byKey = k;
        }
        return k;
    }

    /** The number of the object with {@code key}, or -1. O(log objects). */
    int indexOf(String key) {
        byte[] probe = key.getBytes(UTF_8);
        IntColumn order = keyOrder();
        boolean identity = order.size() == 0;
        int lo = 0;
        int hi = size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int o = identity ? mid : order.get(mid);
            int c = keys.compareTo(o, probe);
            if (c == 0) {
                return o;
            } else if (c < 0) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return -1;
    }

    long memoryBytes() {
        IntColumn k = byKey;
        return keys.memoryBytes() + etags.memoryBytes() + sizes.memoryBytes() + (k == null ? 0 : k.memoryBytes())
                + 48;
    }

    List<ObjectRef> asList() {
        return new Refs();
    }

    /**
     * The permutation that sorts the keys of {@code refs}, or an empty column when they are sorted already. Sorted
     * keys (as S3 lists them) are checked one pair at a time, so a computed list of 100 M objects is never held.
     */
    static IntColumn keyOrder(List<ObjectRef> refs) {
        byte[] prev = null;
        for (int i = 0; i < refs.size(); i++) {
            byte[] k = refs.get(i).key().getBytes(UTF_8);
            if (prev != null && java.util.Arrays.compareUnsigned(prev, k) > 0) {
                StringColumn.Builder keys = new StringColumn.Builder();
                for (int j = 0; j < refs.size(); j++) {
                    keys.add(refs.get(j).key());
                }
                return keyOrder(keys.build());
            }
            prev = k;
        }
        return IntColumn.of(new int[0]);
    }

    /** The permutation that sorts {@code keys}, or an empty column when they are sorted already. */
    static IntColumn keyOrder(StringColumn keys) {
        int n = keys.size();
        boolean sorted = true;
        byte[] prev = null;
        for (int i = 0; i < n && sorted; i++) {
            byte[] k = keys.utf8(i);
            sorted = prev == null || java.util.Arrays.compareUnsigned(prev, k) <= 0;
            prev = k;
        }
        if (sorted) {
            return IntColumn.of(new int[0]);
        }
        StringColumn heap = keys instanceof StringColumn.Heap ? keys : keys.slice(0, n);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        IntArrays.mergeSort(order, (a, b) -> heap.compareTo(a, heap.utf8(b)));
        return IntColumn.of(order);
    }

    private final class Refs extends AbstractList<ObjectRef> implements RandomAccess {
        @Override
        public ObjectRef get(int index) {
            return ref(index);
        }

        @Override
        public int size() {
            return ObjectTable.this.size();
        }
    }
}
