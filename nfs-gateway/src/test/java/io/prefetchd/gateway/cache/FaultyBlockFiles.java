package io.prefetchd.gateway.cache;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

/** Real block files, except that writes fail on demand as a full disk would. Thread-safe. */
final class FaultyBlockFiles implements BlockFiles {
    private final BlockFiles real = BlockFiles.nio();
    private final AtomicInteger failingWrites = new AtomicInteger();
    private final AtomicInteger failedWrites = new AtomicInteger();

    /** The next {@code count} writes fail; a negative count fails every write. */
    void failWrites(int count) {
        failingWrites.set(count);
    }

    int failedWrites() {
        return failedWrites.get();
    }

    @Override
    public byte[] read(Path file) throws IOException {
        return real.read(file);
    }

    @Override
    public void write(Path file, byte[] header, byte[] data) throws IOException {
        int before = failingWrites.getAndUpdate(n -> n > 0 ? n - 1 : n);
        if (before != 0) {
            failedWrites.incrementAndGet();
            throw new IOException("No space left on device");
        }
        real.write(file, header, data);
    }

    @Override
    public void setLastModified(Path file, Instant time) throws IOException {
        real.setLastModified(file, time);
    }

    @Override
    public void move(Path source, Path target) throws IOException {
        real.move(source, target);
    }

    @Override
    public void delete(Path file) throws IOException {
        real.delete(file);
    }
}
