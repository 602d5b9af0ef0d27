package io.prefetchd.formats;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * What to index.
 *
 * @param format the dataset layout
 * @param location where the dataset is in the {@link RangeSource}: a folder prefix ({@code ""} for everything,
 *     {@code "train"} and {@code "train/"} both mean the folder {@code train}), one object key (a {@code .parquet}
 *     file or a {@code .tar} shard), or for WebDataset a brace pattern such as {@code train-{000000..000099}.tar}
 * @param columns Parquet columns to index (dotted paths; a group name selects its leaves); empty for all
 * @param layout sample order for {@link Format#FILES}; ignored by the other formats
 */
public record DatasetSpec(Format format, String location, List<String> columns, FileLayout layout) {
    public DatasetSpec {
        requireNonNull(format, "format is null");
        requireNonNull(location, "location is null");
        columns = List.copyOf(requireNonNull(columns, "columns is null"));
        requireNonNull(layout, "layout is null");
        if (!columns.isEmpty() && format != Format.PARQUET) {
            throw new IllegalArgumentException("columns apply to parquet only, not " + format.cliName());
        }
        for (String c : columns) {
            if (c.isBlank()) {
                throw new IllegalArgumentException("a column name is blank");
            }
        }
    }

    public static DatasetSpec parquet(String location, List<String> columns) {
        return new DatasetSpec(Format.PARQUET, location, columns, FileLayout.SORTED);
    }

    public static DatasetSpec webDataset(String location) {
        return new DatasetSpec(Format.WEBDATASET, location, List.of(), FileLayout.SORTED);
    }

    public static DatasetSpec files(String location, FileLayout layout) {
        return new DatasetSpec(Format.FILES, location, List.of(), layout);
    }
}
