package io.prefetchd.gateway.embedded;

import java.nio.charset.StandardCharsets;

/**
 * SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014):
 * a 64-bit counter advanced by the golden-ratio increment and passed through a fixed mixing
 * function. Chosen for the demo data because its output is defined by these few lines, so the
 * bytes stay the same across JDK versions (unlike relying on a library generator's internals)
 * and can be re-derived in any language.
 *
 * <p>Not thread-safe; use one instance per stream.
 */
final class SplitMix64 {

    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private long state;

    SplitMix64(long seed) {
        this.state = seed;
    }

    /** A generator for one named stream: {@code seed} mixed with the 64-bit FNV-1a hash of {@code name}. */
    static SplitMix64 forStream(long seed, String name) {
        return new SplitMix64(mix(seed ^ fnv1a64(name)));
    }

    long nextLong() {
        state += GOLDEN_GAMMA;
        return mix(state);
    }

    /** Uniform in {@code [0, bound)}, by rejection so that no value is favoured. */
    int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive: " + bound);
        }
        // 63 random bits; reject the top partial bucket (r - m + bound - 1 overflows there)
        long r;
        long m;
        do {
            r = nextLong() >>> 1;
            m = r % bound;
        } while (r - m + (bound - 1) < 0);
        return (int) m;
    }

    /** Uniform in {@code [min, max]}. */
    int nextInt(int min, int max) {
        if (max < min) {
            throw new IllegalArgumentException("max < min: " + max + " < " + min);
        }
        return min + nextInt(max - min + 1);
    }

    /** Fills {@code bytes[from, to)} with the next outputs, eight bytes per output, little-endian. */
    void nextBytes(byte[] bytes, int from, int to) {
        int i = from;
        while (i < to) {
            long r = nextLong();
            for (int k = 0; k < 8 && i < to; k++, i++) {
                bytes[i] = (byte) r;
                r >>>= 8;
            }
        }
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    static long fnv1a64(String s) {
        long h = 0xCBF29CE484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001B3L;
        }
        return h;
    }
}
