package io.prefetchd.formats;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One column of an index being written in a single pass, appended to a temporary file through a small buffer
 * (little-endian, as in the index file) and copied into the index once every column is complete. Deleted on close.
 * Not thread-safe.
 */
final class SpilledColumn implements Closeable {
    private final Path file;
    private final FileChannel ch;
    private final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    private long length;

    SpilledColumn(Path dir, String name) throws IOException {
        this.file = Files.createTempFile(dir, name, ".col");
        FileChannel c;
        try {
            c = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
        this.ch = c;
    }

    void i64(long v) throws IOException {
        room(8).putLong(v);
        length += 8;
    }

    void bytes(byte[] b) throws IOException {
        for (int off = 0; off < b.length; ) {
            int n = Math.min(b.length - off, room(1).remaining());
            buf.put(b, off, n);
            off += n;
        }
        length += b.length;
    }

    /** Bytes appended so far. */
    long length() {
        return length;
    }

    /** Appends the whole column to {@code w}. */
    void copyTo(IndexWriter w) throws IOException {
        flush();
        ch.position(0);
        w.copy(ch, length);
    }

    private ByteBuffer room(int n) throws IOException {
        if (buf.remaining() < n) {
            flush();
        }
        return buf;
    }

    private void flush() throws IOException {
        buf.flip();
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
        buf.clear();
    }

    @Override
    public void close() throws IOException {
        try {
            ch.close();
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
