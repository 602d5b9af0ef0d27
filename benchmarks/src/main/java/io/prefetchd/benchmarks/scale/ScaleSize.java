package io.prefetchd.benchmarks.scale;

/** How large the scale benchmark's synthetic inputs are. */
public enum ScaleSize {
    /** Small inputs that run in seconds: checks the benchmark itself works. */
    QUICK,
    /** The sizes the figures are stated at (millions of blocks, samples and objects). */
    FULL
}
