package io.prefetchd.formats;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Streams the columns of an index file (version 2) through a small buffer: positions, zero padding to 8-byte
 * alignment, and the CRC32C of every block of {@link IndexCodec#BLOCK_SHIFT} bytes from the end of the header
 * on. Not thread-safe; one per write.
 */
final class IndexWriter {
    private final FileChannel ch;
    private final ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    private final CRC32C blockCrc = new CRC32C();
    private int[] crcs = new int[64];
    private int nCrcs;
    private long blockFill;
    private long pos;

    IndexWriter(FileChannel ch, long start) throws IOException {
        this.ch = ch;
        ch.position(start);
        this.pos = start;
    }

    long position() {
        return pos;
    }

    /** Pads with zeros to a multiple of 8 and returns the position: where the next column starts. */
    long align() throws IOException {
        while (pos % 8 != 0) {
            i8(0);
        }
        return pos;
    }

    void i8(int v) throws IOException {
        room(1).put((byte) v);
        pos++;
    }

    void i32(int v) throws IOException {
        room(4).putInt(v);
        pos += 4;
    }

    void i64(long v) throws IOException {
        room(8).putLong(v);
        pos += 8;
    }

    void bytes(byte[] b) throws IOException {
        for (int off = 0; off < b.length; ) {
            int n = Math.min(b.length - off, buf.capacity());
            room(n).put(b, off, n);
            off += n;
            pos += n;
        }
    }

    /** Copies {@code count} bytes of {@code in} from its position on, through the checksummed blocks. */
    void copy(FileChannel in, long count) throws IOException {
        for (long left = count; left > 0; ) {
            if (!buf.hasRemaining()) {
                flush();
            }
            int want = (int) Math.min(left, buf.remaining());
            ByteBuffer slice = buf.slice(buf.position(), want);
            int n = in.read(slice);
            if (n < 0) {
                throw new IOException("column ended " + left + " bytes early");
            }
            buf.position(buf.position() + n);
            pos += n;
            left -= n;
        }
    }

    /** Flushes and closes the last block; returns the CRC32C of every block. */
    int[] finishBlocks() throws IOException {
        flush();
        if (blockFill > 0) {
            add((int) blockCrc.getValue());
            blockCrc.reset();
            blockFill = 0;
        }
        return Arrays.copyOf(crcs, nCrcs);
    }

    /** Writes {@code b} outside the checksummed blocks (the directory). */
    void raw(ByteBuffer b) throws IOException {
        flush();
        while (b.hasRemaining()) {
            pos += ch.write(b);
        }
    }

    private ByteBuffer room(int n) throws IOException {
        if (buf.remaining() < n) {
            flush();
        }
        return buf;
    }

    private void flush() throws IOException {
        buf.flip();
        byte[] a = buf.array();
        int at = 0;
        int end = buf.limit();
        long block = 1L << IndexCodec.BLOCK_SHIFT;
        while (at < end) {
            int n = (int) Math.min(end - at, block - blockFill);
            blockCrc.update(a, at, n);
            blockFill += n;
            at += n;
            if (blockFill == block) {
                add((int) blockCrc.getValue());
                blockCrc.reset();
                blockFill = 0;
            }
        }
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
        buf.clear();
    }

    private void add(int crc) {
        if (nCrcs == crcs.length) {
            crcs = Arrays.copyOf(crcs, nCrcs * 2);
        }
        crcs[nCrcs++] = crc;
    }
}
