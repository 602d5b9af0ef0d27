package io.prefetchd.gateway.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

/**
 * The file operations the cache performs on block files, behind a seam so tests can make the disk fail
 * ("No space left on device") or misbehave. {@link #nio()} is the real one. Implementations must be
 * thread-safe.
 */
interface BlockFiles {
    String BLOCK_SUFFIX = ".blk";
    String TEMP_SUFFIX = ".tmp";

    /** The whole content of a file. */
    byte[] read(Path file) throws IOException;

    /** Creates (or truncates) {@code file} and writes {@code header} then {@code data}; its folder must exist. */
    void write(Path file, byte[] header, byte[] data) throws IOException;

    /** Sets the modification time (the cache's persisted recency). */
    void setLastModified(Path file, Instant time) throws IOException;

    /** Renames atomically, replacing {@code target}. */
    void move(Path source, Path target) throws IOException;

    /** Deletes the file if it exists. */
    void delete(Path file) throws IOException;

    static BlockFiles nio() {
        return NioBlockFiles.INSTANCE;
    }

    /** java.nio.file on the default file system. No fsync: every read verifies, see {@link CacheFolder}. */
    final class NioBlockFiles implements BlockFiles {
        static final NioBlockFiles INSTANCE = new NioBlockFiles();

        private NioBlockFiles() {
        }

        @Override
        public byte[] read(Path file) throws IOException {
            return Files.readAllBytes(file);
        }

        @Override
        public void write(Path file, byte[] header, byte[] data) throws IOException {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer[] buffers = {ByteBuffer.wrap(header), ByteBuffer.wrap(data)};
                long remaining = (long) header.length + data.length;
                while (remaining > 0) {
                    remaining -= channel.write(buffers);
                }
            }
        }

        @Override
        public void setLastModified(Path file, Instant time) throws IOException {
            Files.setLastModifiedTime(file, FileTime.from(time));
        }

        @Override
        public void move(Path source, Path target) throws IOException {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }

        @Override
        public void delete(Path file) throws IOException {
            Files.deleteIfExists(file);
        }
    }
}
