package io.prefetchd.gateway.fs.staging;

import com.sun.nio.file.ExtendedOpenOption;
import org.jspecify.annotations.Nullable;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static java.util.Objects.requireNonNull;

/**
 * A staged file's bytes on disk. Whole aligned blocks go around the page cache (O_DIRECT) where the file system
 * allows it: a large write's WRITEs (the Linux client sends {@code wsize}-sized ones at multiples of it) and the
 * reads of its parts for their upload. Everything else (a WRITE of a few bytes, a file's last partial block) goes
 * through the page cache.
 *
 * <p>Why: a staged file is written once, sent from part buffers and deleted. Through the page cache, each written
 * page is a fresh page the kernel must allocate and fill (what a large write through the gateway spent most of its
 * CPU on), and a multi-GiB checkpoint would push the read cache's and the training job's pages out of memory for
 * bytes no one reads again. A direct write is one transfer from a buffer the JDK keeps per thread.
 *
 * <p>The kernel keeps the two paths coherent: a direct write drops the cached pages of its range, and a direct read
 * first writes back the dirty cached pages of its range. Durability is unchanged: a direct write may still sit in
 * the device's cache, and {@link #force} ({@code fsync}) flushes it with everything else, as COMMIT requires.
 *
 * <p>Not thread-safe: the staged file's monitor serialises its use.
 */
final class StagedBytes implements Closeable {
    /** Buffers, offsets and lengths of direct transfers are multiples of this (or of the file system's block). */
    static final int ALIGNMENT = 4096;

    private final Path file;
    private final FileChannel cached;
    /** The alignment of direct transfers; 0 when every transfer goes through the page cache. */
    private final int alignment;
    /** Opened at the first direct transfer (most staged files are small and never make one). */
    private @Nullable FileChannel direct;
    private long directTransfers;

    private StagedBytes(Path file, FileChannel cached, int alignment) {
        this.file = requireNonNull(file, "file is null");
        this.cached = requireNonNull(cached, "cached is null");
        this.alignment = alignment;
    }

    /**
     * Opens {@code file}: a new one with {@code create} (failing if it exists), else an existing one. Whole blocks
     * of {@code alignment} bytes go around the page cache ({@link #alignmentIn}); 0 sends everything through it.
     */
    static StagedBytes open(Path file, boolean create, int alignment) throws IOException {
        if (alignment != 0 && (alignment < ALIGNMENT || Integer.bitCount(alignment) != 1)) {
            throw new IllegalArgumentException("alignment must be 0 or a power of two of at least " + ALIGNMENT
                    + ": " + alignment);
        }
        FileChannel cached = create
                ? FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                        StandardOpenOption.WRITE, StandardOpenOption.SPARSE)
                : FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        return new StagedBytes(file, cached, alignment);
    }

    /**
     * The alignment of direct transfers for files in {@code dir}, or 0 when its file system refuses them (tmpfs
     * before Linux 6.6, some overlays): a probe file there is written and read back around the page cache, then
     * deleted.
     */
    static int alignmentIn(Path dir) {
        Path probe = dir.resolve(".direct-io-probe");
        try {
            Files.deleteIfExists(probe);   // left by a crash during the last probe
            long block = Files.getFileStore(dir).getBlockSize();
            if (block <= 0 || block > (1 << 20) || Long.bitCount(block) != 1) {
                return 0;
            }
            int alignment = (int) Math.max(ALIGNMENT, block);
            try (StagedBytes b = open(probe, true, alignment)) {
                ByteBuffer one = ByteBuffer.allocate(alignment);
                b.write(one.duplicate(), 0);
                int read = b.read(one, 0);
                return b.directTransfers() == 2 && read == alignment ? alignment : 0;
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        } finally {
            try {
                Files.deleteIfExists(probe);
            } catch (IOException e) {
                // deleted before the next probe
            }
        }
    }

    /** Transfers made around the page cache so far (for tests and the probe). */
    long directTransfers() {
        return directTransfers;
    }

    /**
     * Writes all of {@code src} at {@code offset}; returns how many of its bytes went around the page cache: the
     * whole aligned blocks it covers, its unaligned head and tail (if any) going through the page cache.
     */
    long write(ByteBuffer src, long offset) throws IOException {
        long at = offset;
        long direct = 0;
        while (src.hasRemaining()) {
            int n = src.remaining();
            int head = alignment == 0 ? n : (int) Math.min(n, (alignment - at % alignment) % alignment);
            int blocks = alignment == 0 ? 0 : (n - head) / alignment * alignment;
            if (head > 0 || blocks == 0) {   // up to the next block boundary, or a tail shorter than a block
                int part = head > 0 ? head : n;
                at += advance(src, cached.write(src.slice(src.position(), part), at));
                continue;
            }
            ByteBuffer whole = src.slice(src.position(), blocks);
            int written = aligned(whole) ? directChannel().write(whole, at) : writeThroughScratch(whole, at);
            directTransfers++;
            direct += written;
            at += advance(src, written);
        }
        return direct;
    }

    /** Moves {@code b}'s position on by {@code n}; returns {@code n}. */
    private static int advance(ByteBuffer b, int n) {
        b.position(b.position() + n);
        return n;
    }

    /** Reads into {@code dst} at {@code offset}, as {@link FileChannel#read(ByteBuffer, long)} does. */
    int read(ByteBuffer dst, long offset) throws IOException {
        if (!whole(dst, offset)) {
            return cached.read(dst, offset);
        }
        directTransfers++;
        return aligned(dst) ? directChannel().read(dst, offset) : readThroughScratch(dst, offset);
    }

    /** Whether a transfer of {@code b}'s remaining bytes at {@code offset} is whole aligned blocks, to go direct. */
    private boolean whole(ByteBuffer b, long offset) {
        int n = b.remaining();
        return alignment != 0 && n > 0 && offset % alignment == 0 && n % alignment == 0;
    }

    private boolean aligned(ByteBuffer b) {
        return b.isDirect() && b.alignmentOffset(b.position(), alignment) == 0;
    }

    /*
     * A heap buffer, or a direct one that is not aligned, goes through an aligned buffer of this thread's. Never
     * through the JDK's own: in JDK 17 the aligned temporary buffers it makes for a direct channel break its cache of
     * temporary buffers for every later transfer of the thread (a NullPointerException freeing one).
     */
    private int writeThroughScratch(ByteBuffer src, long offset) throws IOException {
        ByteBuffer s = scratch(Math.min(src.remaining(), SCRATCH));
        ByteBuffer chunk = src.slice(src.position(), s.remaining());
        s.put(chunk).flip();
        int n = directChannel().write(s, offset);
        src.position(src.position() + n);
        return n;
    }

    private int readThroughScratch(ByteBuffer dst, long offset) throws IOException {
        ByteBuffer s = scratch(Math.min(dst.remaining(), SCRATCH));
        int n = directChannel().read(s, offset);
        if (n > 0) {
            dst.put(s.flip());
        }
        return n;
    }

    /** Bytes moved per direct transfer through {@link #scratch}: a Linux client's largest WRITE. */
    private static final int SCRATCH = 1 << 20;
    private static final ThreadLocal<ByteBuffer> SCRATCHES = new ThreadLocal<>();

    /** This thread's aligned buffer, cleared and limited to {@code bytes} (a multiple of the alignment). */
    private ByteBuffer scratch(int bytes) {
        ByteBuffer s = SCRATCHES.get();
        if (s == null || s.capacity() < bytes || s.alignmentOffset(0, alignment) != 0) {
            s = alignedBuffer(Math.max(bytes, SCRATCH), alignment);
            SCRATCHES.set(s);
        }
        return s.clear().limit(bytes);
    }

    /** A direct buffer of {@code size} bytes whose start is a multiple of {@code alignment} in memory. */
    static ByteBuffer alignedBuffer(int size, int alignment) {
        long whole = ((long) size + alignment - 1) / alignment * alignment;   // an aligned slice ends aligned too
        return ByteBuffer.allocateDirect(Math.toIntExact(whole + alignment)).alignedSlice(alignment).slice(0, size);
    }

    private FileChannel directChannel() throws IOException {
        FileChannel d = direct;
        if (d == null) {
            d = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT);
            direct = d;
        }
        return d;
    }

    long size() throws IOException {
        return cached.size();
    }

    void truncate(long size) throws IOException {
        cached.truncate(size);
    }

    /** Forces every byte written, by either path, and the file's length to disk. */
    void force() throws IOException {
        cached.force(true);
    }

    @Override
    public void close() throws IOException {
        try {
            cached.close();
        } finally {
            FileChannel d = direct;
            if (d != null) {
                d.close();
            }
        }
    }
}
