package io.prefetchd.gateway.fs;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Moves directory listings off the heap: their packed columns are written one after the other into a file of
 * {@code dir} as they are built ({@link #add}), and once all are written the file is mapped and deleted, and the
 * listings are read from the mapping from then on ({@link #finish}). The heap keeps one small object per directory;
 * the bytes are the page cache's, which the kernel can drop and read back.
 *
 * <p><b>Lifetime.</b> The file is deleted as soon as it is mapped (or when the writer is closed unfinished), so
 * nothing is left behind by a crash after that; the kernel frees its blocks when the last listing read from it is
 * collected. A crash while writing leaves a {@code *.names} file, which {@link #sweep} removes at the next start.
 *
 * <p>The file is mapped in chunks of at most 1 GiB, each holding whole listings; a listing too large for one
 * mapping (2 GiB) cannot be added (see {@link #fits}). Not thread-safe: one writer is filled by one thread.
 */
final class NamesFile implements Closeable {
    static final String SUFFIX = ".names";
    private static final long CHUNK = 1L << 30;
    private static final int SCRATCH = 1 << 20;

    private record Placed(PackedEntries.Shape shape, boolean exists, Instant mtime, Instant loadedAt, int chunk,
                          long at, long bytes) {
    }

    private final Path file;
    private final FileChannel channel;
    private final ByteBuffer scratch = ByteBuffer.allocate(SCRATCH);
    private final List<Placed> placed = new ArrayList<>();
    private final List<long[]> chunks = new ArrayList<>();   // {start, end} of each mapping but the last
    private long chunkStart;
    private long at;

    private NamesFile(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /** Deletes what a crash left in {@code dir}; creates it when missing. */
    static void sweep(Path dir) throws IOException {
        Files.createDirectories(dir);
        try (DirectoryStream<Path> left = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path p : left) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** A new, empty file in {@code dir}. */
    static NamesFile create(Path dir) throws IOException {
        Path file = Files.createTempFile(dir, "dataset-", SUFFIX);
        try {
            return new NamesFile(file, FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE));
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
    }

    /** Whether {@code l} can be added: packed entries of at most 2 GiB. */
    static boolean fits(Listing l) {
        return l.listing().entries() instanceof PackedEntries p && p.regionBytes() <= Integer.MAX_VALUE - 8;
    }

    /**
     * Writes a listing built on the heap; after {@link #finish} it is read from the file.
     *
     * @throws IllegalArgumentException unless {@link #fits}
     * @throws IOException when it cannot be written (a full disk)
     */
    void add(Listing l) throws IOException {
        if (!fits(l)) {
            throw new IllegalArgumentException("not packed entries of at most 2 GiB");
        }
        PackedEntries p = (PackedEntries) l.listing().entries();
        long bytes = p.regionBytes();
        if (at > chunkStart && at + bytes - chunkStart > CHUNK) {
            chunks.add(new long[] {chunkStart, at});
            chunkStart = at;
        }
        channel.position(at);
        p.writeRegion(channel, scratch);
        placed.add(new Placed(p.shape(), l.exists(), l.mtime(), l.loadedAt(), chunks.size(), at - chunkStart, bytes));
        at = (at + bytes + 7) & ~7L;
    }

    /**
     * The listings added, by directory, read from the mapped file; the file is deleted.
     *
     * @throws IOException when the file cannot be mapped
     */
    Map<String, Listing> finish() throws IOException {
        Map<String, Listing> out = new HashMap<>();
        if (placed.isEmpty()) {
            close();
            return out;
        }
        chunks.add(new long[] {chunkStart, at});
        List<MappedByteBuffer> maps = new ArrayList<>();
        for (long[] c : chunks) {
            maps.add(channel.map(FileChannel.MapMode.READ_ONLY, c[0], c[1] - c[0]));
        }
        close();
        for (Placed p : placed) {
            PackedEntries entries = p.shape().open(maps.get(p.chunk()).slice((int) p.at(), (int) p.bytes()));
            out.put(p.shape().dirPath(), new Listing(new DirListing(p.shape().verifier(), entries), p.exists(),
                    p.mtime(), p.loadedAt()));
        }
        return out;
    }

    /** Whether nothing was added. */
    boolean isEmpty() {
        return placed.isEmpty();
    }

    /** Closes and deletes the file; what was mapped stays readable. */
    @Override
    public void close() throws IOException {
        try {
            channel.close();
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
