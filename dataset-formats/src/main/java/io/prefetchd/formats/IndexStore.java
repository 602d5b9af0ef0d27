package io.prefetchd.formats;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Persisted indexes, one file per {@link DatasetSpec}, in a compact checksummed binary format (see
 * {@code IndexCodec} for the layout and why it is not Arrow IPC). A file records the ETag of every object the
 * index was built from, so a reload needs only a listing to know it is current.
 *
 * <p>Implementations are thread-safe; a save replaces the file atomically.
 */
public interface IndexStore {

    /** A store keeping its files in {@code folder} (created when missing), e.g. the daemon's state folder. */
    static IndexStore inFolder(Path folder) {
        return new FolderIndexStore(folder);
    }

    /**
     * The persisted index for {@code spec}, or empty when none was saved.
     *
     * @throws IOException when the file exists but cannot be read, is corrupt (checksum, truncation) or was
     *     written for another spec; the message names the file
     */
    Optional<DatasetIndex> load(DatasetSpec spec) throws IOException;

    /** Saves {@code index} as the index of its spec; returns the file written. */
    Path save(DatasetIndex index) throws IOException;

    /**
     * The file that {@link #save} writes for {@code spec} and {@link #load} reads: an index streamed to it (as
     * {@link FilesIndexWriter} writes one) is saved as if by {@link #save}.
     */
    Path file(DatasetSpec spec);

    /**
     * Deletes what saves that never finished left behind (a crash or a kill while an index was written: its
     * temporary file and spilled columns), when untouched for {@code idle} as of {@code now}, so that a save still
     * running in another process is left alone. Returns the bytes deleted.
     */
    long removeAbandoned(Instant now, Duration idle) throws IOException;

    /** Writes {@code index} to {@code file} (atomically: a temporary file, then a rename). */
    static void write(DatasetIndex index, Path file) throws IOException {
        IndexCodec.write(index, file);
    }

    /** Reads an index written by {@link #write}. */
    static DatasetIndex read(Path file) throws IOException {
        return IndexCodec.read(file);
    }
}
