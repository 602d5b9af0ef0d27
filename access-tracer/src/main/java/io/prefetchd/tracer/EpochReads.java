package io.prefetchd.tracer;

import java.util.Iterator;

/**
 * The reads of an epoch in file order (the order the writer received them; by time within a thread, nearly by
 * time across threads), over all its part files. Holds Arrow buffers and open files: close it.
 *
 * <p>A file without its footer (the gateway crashed, or the file is still being written) is read up to its last
 * complete batch, and {@link #truncated()} then says so. A file that is corrupt elsewhere fails with an
 * {@link java.io.UncheckedIOException} naming the file. Not thread-safe.
 */
public interface EpochReads extends Iterator<ReadRecord>, AutoCloseable {

    /** Whether a part read so far had no footer (was read as a truncated file). */
    boolean truncated();

    @Override
    void close();
}
