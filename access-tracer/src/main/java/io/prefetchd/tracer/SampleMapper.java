package io.prefetchd.tracer;

/**
 * Which training sample a read belongs to, for {@link TraceStore#sampleSummaries}. The caller builds it from the
 * dataset's format index (for example from dataset-formats' sample extents). A read is attributed to the sample
 * that contains its first byte.
 */
@FunctionalInterface
public interface SampleMapper {
    /** Returned for a byte that belongs to no sample (a Parquet footer, a tar header): the read is not counted. */
    long NO_SAMPLE = -1;

    /** The sample index (&ge; 0) that holds byte {@code offset} of {@code objectKey}, or {@link #NO_SAMPLE}. */
    long sampleOf(String objectKey, long offset);
}
