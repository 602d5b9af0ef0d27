package io.prefetchd.tracer;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.NoSuchElementException;

import static java.util.Objects.requireNonNull;

/**
 * {@link EpochReads} over the part files of an epoch, one open file at a time, each read by a
 * {@link TraceFileReader}. A part that disappears before it is reached (retention) is skipped. Owns its Arrow
 * allocator. Not thread-safe.
 */
final class PartsReader implements EpochReads {
    private final List<TraceFile> parts;
    private final BufferAllocator allocator = new RootAllocator();
    private int nextPart;
    private @Nullable TraceFileReader current;
    private boolean truncated;
    private boolean closed;

    PartsReader(List<TraceFile> parts) {
        this.parts = List.copyOf(parts);
    }

    @Override
    public boolean hasNext() {
        if (closed) {
            return false;
        }
        while (current == null || !current.hasNext()) {
            if (current != null) {
                current.close();
                current = null;
            }
            if (nextPart >= parts.size()) {
                return false;
            }
            TraceFile part = parts.get(nextPart++);
            try {
                current = new TraceFileReader(part.path(), allocator);
            } catch (NoSuchFileException gone) {
                continue;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            truncated |= current.truncated();
        }
        return true;
    }

    @Override
    public ReadRecord next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return requireNonNull(current, "hasNext() opened a part").next();
    }

    @Override
    public boolean truncated() {
        return truncated;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (current != null) {
                current.close();
                current = null;
            }
        } finally {
            try {
                allocator.close();
            } catch (IllegalStateException leaked) {
                // only after a read failed half-way; that failure is what the caller sees
            }
        }
    }
}
