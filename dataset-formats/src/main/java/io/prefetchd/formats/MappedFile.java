package io.prefetchd.formats;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * A persisted index file mapped read-only, read through little-endian absolute gets whose bytes are checked
 * against the file's block checksums the first time they are read.
 *
 * <h2>Why checked on first read</h2>
 * A 100 M-sample index is gigabytes; one CRC32C pass over it costs about as long as the open is allowed to take,
 * and a job touches its samples over an epoch anyway. So an open checks the header and the directory (small,
 * one checksum each) and every column's bounds, and each 64 KiB block of the columns is checked the first time
 * any byte of it is read. A block that fails throws {@link Corrupt}, naming the file and the bytes: a corrupt
 * index is never used, only found later than at open. {@link #verifyAll} checks every block at once.
 *
 * <h2>Layout in memory</h2>
 * The file is mapped in chunks of 1 GiB that overlap by {@link #OVERLAP} bytes, so any read of at most that many
 * bytes lies in one chunk. Nothing per sample is on the heap: one bit per verified block (2 KiB for 1 GiB).
 *
 * <p>Thread-safe: reads are absolute; the verified bits are a cache updated without locks (a lost update only
 * makes a block be checked twice). The file must be replaced by rename, never rewritten in place (the codec
 * does so), or reads of a truncated mapping fail.
 */
final class MappedFile {
    static final int CHUNK_SHIFT = 30;
    static final int OVERLAP = 1 << 16;

    /** Bytes that do not match their checksum: the index is corrupt. */
    static final class Corrupt extends UncheckedIOException {
        Corrupt(String message) {
            super(message, new IOException(message));
        }
    }

    private final Path file;
    private final long size;
    private final ByteBuffer[] chunks;
    private long guardStart;
    private long guardEnd;
    private int blockShift;
    private int[] blockCrcs = new int[0];
    private long[] verified = new long[0];

    private MappedFile(Path file, long size, ByteBuffer[] chunks) {
        this.file = file;
        this.size = size;
        this.chunks = chunks;
    }

    static MappedFile open(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file)) {
            long size = ch.size();
            int n = (int) Math.max(1, (size + (1L << CHUNK_SHIFT) - 1) >>> CHUNK_SHIFT);
            ByteBuffer[] chunks = new ByteBuffer[n];
            for (int c = 0; c < n; c++) {
                long from = (long) c << CHUNK_SHIFT;
                long len = Math.min(size - from, (1L << CHUNK_SHIFT) + OVERLAP);
                MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, from, Math.max(0, len));
                chunks[c] = m.order(ByteOrder.LITTLE_ENDIAN);
            }
            return new MappedFile(file, size, chunks);
        }
    }

    /**
     * From now on, reads of {@code [start, end)} are checked: block {@code b} is
     * {@code [start + b << shift, start + (b + 1) << shift)} and must have CRC32C {@code crcs[b]}.
     */
    void guard(long start, long end, int shift, int[] crcs) {
        long blocks = end <= start ? 0 : ((end - start - 1) >>> shift) + 1;
        if (blocks != crcs.length) {
            throw new IllegalArgumentException(crcs.length + " block checksums for " + blocks + " blocks");
        }
        this.guardStart = start;
        this.guardEnd = end;
        this.blockShift = shift;
        this.blockCrcs = crcs;
        this.verified = new long[(crcs.length + 63) >>> 6];
    }

    Path file() {
        return file;
    }

    long size() {
        return size;
    }

    long getLong(long pos) {
        check(pos, 8);
        return chunk(pos).getLong(within(pos));
    }

    int getInt(long pos) {
        check(pos, 4);
        return chunk(pos).getInt(within(pos));
    }

    byte get(long pos) {
        check(pos, 1);
        return chunk(pos).get(within(pos));
    }

    /** Copies {@code len} bytes at {@code pos} into {@code dst}. */
    void get(long pos, byte[] dst, int off, int len) {
        check(pos, len);
        if (len <= OVERLAP) {
            chunk(pos).get(within(pos), dst, off, len);
            return;
        }
        for (int i = 0; i < len; i++) {
            dst[off + i] = chunk(pos + i).get(within(pos + i));
        }
    }

    /** CRC32C of {@code [pos, pos + len)}, read without the block checks (for the header and directory). */
    int crc(long pos, long len) {
        CRC32C crc = new CRC32C();
        for (long p = pos; p < pos + len; ) {
            int n = (int) Math.min(pos + len - p, 1L << CHUNK_SHIFT);
            int at = within(p);
            n = Math.min(n, chunk(p).limit() - at);
            crc.update(chunk(p).duplicate().position(at).limit(at + n));
            p += n;
        }
        return (int) crc.getValue();
    }

    /** Checks every block now. */
    void verifyAll() {
        for (int b = 0; b < blockCrcs.length; b++) {
            verify(b);
        }
    }

    private ByteBuffer chunk(long pos) {
        return chunks[(int) (pos >>> CHUNK_SHIFT)];
    }

    private static int within(long pos) {
        return (int) (pos & ((1L << CHUNK_SHIFT) - 1));
    }

    private void check(long pos, int len) {
        if (pos < 0 || len < 0 || pos + len > size) {
            throw new IndexOutOfBoundsException("bytes [" + pos + ", " + (pos + len) + ") of " + file + " ("
                    + size + " bytes)");
        }
        if (blockCrcs.length == 0 || len == 0 || pos + len <= guardStart || pos >= guardEnd) {
            return;
        }
        long from = Math.max(pos, guardStart) - guardStart;
        long to = Math.min(pos + len, guardEnd) - 1 - guardStart;
        for (long b = from >>> blockShift; b <= to >>> blockShift; b++) {
            if ((verified[(int) (b >>> 6)] & (1L << b)) == 0) {
                verify((int) b);
            }
        }
    }

    private void verify(int b) {
        long start = guardStart + ((long) b << blockShift);
        long len = Math.min(guardEnd - start, 1L << blockShift);
        if (crc(start, len) != blockCrcs[b]) {
            throw new Corrupt("persisted index " + file + " is corrupt: bytes [" + start + ", " + (start + len)
                    + ") fail their checksum; delete the file to have it rebuilt");
        }
        verified[b >>> 6] |= 1L << b;
    }
}
