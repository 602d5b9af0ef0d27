package io.prefetchd.formats;

import java.io.IOException;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * Builds {@link DatasetIndex}es by reading format metadata through a {@link RangeSource}: Parquet footers and
 * page indexes with ranged reads, tar shards by streaming each once, file-per-sample datasets from the listing
 * alone.
 *
 * <p>Objects are read {@code parallelism} at a time on the given executor. An object that cannot be read or
 * is malformed is left out and reported in {@link IndexBuild#failures()}; the rest is indexed. Thread-safe:
 * builds may run concurrently.
 */
public interface DatasetIndexer {

    /**
     * @param source where the dataset lives
     * @param executor runs the per-object scans; at most {@code parallelism} of this indexer's tasks are
     *     queued or running on it at a time per build
     * @param parallelism how many objects are read at once per build, at least 1
     * @param clock times builds
     */
    static DatasetIndexer create(RangeSource source, Executor executor, int parallelism, Clock clock) {
        return new DefaultIndexer(source, executor, parallelism, clock);
    }

    /**
     * Lists the dataset and reads every object's metadata.
     *
     * @throws IOException when the dataset cannot be listed (a single unreadable object is a failure in the
     *     result, not an exception)
     */
    default IndexBuild build(DatasetSpec spec) throws IOException {
        return refresh(spec, Optional.empty());
    }

    /**
     * Lists the dataset and reads the metadata of just the objects that are new, whose ETag or size changed,
     * or that are not in {@code previous} (e.g. failed last time); the parts of unchanged objects are taken
     * from {@code previous}. With an empty {@code previous}, or one built for another spec, this is a full
     * build.
     */
    IndexBuild refresh(DatasetSpec spec, Optional<DatasetIndex> previous) throws IOException;

    /**
     * Loads the persisted index for {@code spec} from {@code store}, refreshes it against the current listing
     * (rescanning nothing when no ETag changed) and saves it back when it changed. A missing, unreadable or
     * corrupt persisted index is rebuilt; the reason is in {@link IndexBuild#notes()}.
     *
     * <p>A file-per-sample dataset is built and refreshed straight from the paged listing
     * ({@link RangeSource#list(String, RangeSource.ListingConsumer)}) into the store's file, with a heap that does
     * not grow with its number of objects, when its order is the listing's: always for {@link FileLayout#SORTED},
     * and for {@link FileLayout#IMAGE_FOLDER} when its tree is class folders of files. The other formats, and an
     * ImageFolder tree in another order, hold the listing and build on the heap first.
     */
    default IndexBuild loadOrBuild(DatasetSpec spec, IndexStore store) throws IOException {
        return new PersistedRefresh(PersistedRefresh.onHeap(this), store).run(spec);
    }
}
