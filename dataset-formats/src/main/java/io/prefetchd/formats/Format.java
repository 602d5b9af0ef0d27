package io.prefetchd.formats;

import java.util.Locale;

/** The dataset layouts an index can be built for. */
public enum Format {
    /** Parquet files; a sample is a row. */
    PARQUET,
    /** WebDataset tar shards; a sample is the run of members sharing a key. */
    WEBDATASET,
    /** One object per sample (ImageFolder or a plain sorted listing). */
    FILES;

    /** The name used on the command line and in file names: {@code parquet}, {@code webdataset}, {@code files}. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
