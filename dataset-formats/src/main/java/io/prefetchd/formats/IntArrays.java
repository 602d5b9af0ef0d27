package io.prefetchd.formats;

import java.util.function.IntBinaryOperator;

/** Sorting of {@code int} arrays by a comparator over their values, without boxing. Stateless. */
public final class IntArrays {
    private IntArrays() {
    }

    /**
     * Sorts {@code a} by {@code cmp}, stably (equal elements keep their order): a bottom-up merge sort, O(n log n)
     * comparisons and one scratch array of {@code a.length} ints.
     */
    public static void mergeSort(int[] a, IntBinaryOperator cmp) {
        int[] src = a;
        int[] dst = new int[a.length];
        for (int width = 1; width < a.length; width *= 2) {
            for (int lo = 0; lo < a.length; lo += 2 * width) {
                int mid = Math.min(lo + width, a.length);
                int hi = Math.min(lo + 2 * width, a.length);
                int i = lo;
                int j = mid;
                for (int k = lo; k < hi; k++) {
                    dst[k] = i < mid && (j >= hi || cmp.applyAsInt(src[i], src[j]) <= 0) ? src[i++] : src[j++];
                }
            }
            int[] t = src;
            src = dst;
            dst = t;
        }
        if (src != a) {
            System.arraycopy(src, 0, a, 0, a.length);
        }
    }
}
