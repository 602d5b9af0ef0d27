package io.prefetchd.formats;

import java.time.Duration;

/**
 * What building or refreshing an index cost.
 *
 * @param objectsListed objects the dataset consists of now
 * @param objectsScanned objects whose metadata was read (new, changed, or previously failed)
 * @param objectsReused objects whose part came from the previous index because their ETag is unchanged
 * @param requests range and stream requests made to the source (listings not counted)
 * @param metadataBytesRead bytes of format metadata parsed: Parquet tails, footers and page indexes; tar
 *     headers, long names and pax records
 * @param bytesRequested bytes asked of the source: ranged reads plus the whole length of streamed objects
 *     (a tar shard is streamed once, so over S3 all of it is transferred)
 * @param elapsed wall time by the indexer's clock
 */
public record BuildStats(int objectsListed, int objectsScanned, int objectsReused, long requests,
        long metadataBytesRead, long bytesRequested, Duration elapsed) {
}
