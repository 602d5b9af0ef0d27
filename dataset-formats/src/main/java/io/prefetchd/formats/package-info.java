/**
 * Dataset format indexes: turn "sample i" of a Parquet, WebDataset or file-per-sample dataset into byte
 * extents {@code (object, offset, length)}. Depends on no other prefetchd module.
 */
package io.prefetchd.formats;
