package io.prefetchd.gateway.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * Moves the listings of a dataset's folders off the heap: their packed columns are written one after the other
 * into a file of {@code dir}, the file is mapped and then deleted, and the listings are read from the mapping from
 * then on ({@link PackedEntries#region}). The heap keeps one small object per directory; the bytes are the page
 * cache's, which the kernel can drop and read back.
 *
 * <p><b>Lifetime.</b> The file is deleted as soon as it is mapped, so nothing is left behind by a crash after that;
 * the kernel frees its blocks when the last listing read from it is collected. A crash between writing and deleting
 * leaves a {@code *.names} file, which {@link #sweep} removes at the next start.
 *
 * <p>The file is mapped in chunks of at most 1 GiB, each holding whole listings; a listing too large for one
 * mapping (2 GiB) stays on the heap as it is.
 */
final class NamesFile {
    static final String SUFFIX = ".names";
    private static final long CHUNK = 1L << 30;
    private static final int SCRATCH = 1 << 20;

    private NamesFile() {
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

    /**
     * The same listings, their entries read from a mapped file of {@code dir} instead of the heap.
     *
     * @throws IOException when the file cannot be written or mapped (a full disk); nothing is left in {@code dir}
     */
    static Map<String, Listing> spill(Path dir, Map<String, Listing> listings) throws IOException {
        requireNonNull(listings, "listings is null");
        record Placed(String dirPath, Listing listing, int chunk, long at, long bytes) {
        }
        Path file = Files.createTempFile(dir, "dataset-", SUFFIX);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            List<Placed> placed = new ArrayList<>();
            List<long[]> chunks = new ArrayList<>();   // {start, end} of each mapping
            long chunkStart = 0;
            long at = 0;
            ByteBuffer scratch = ByteBuffer.allocate(SCRATCH);
            Map<String, Listing> out = new HashMap<>(listings);
            for (Map.Entry<String, Listing> e : listings.entrySet()) {
                if (!(e.getValue().listing().entries() instanceof PackedEntries p)
                        || p.regionBytes() > Integer.MAX_VALUE) {
                    continue;   // kept on the heap
                }
                long bytes = p.regionBytes();
                if (at > chunkStart && at + bytes - chunkStart > CHUNK) {
                    chunks.add(new long[] {chunkStart, at});
                    chunkStart = at;
                }
                ch.position(at);
                p.writeRegion(ch, scratch);
                placed.add(new Placed(e.getKey(), e.getValue(), chunks.size(), at - chunkStart, bytes));
                at = (at + bytes + 7) & ~7L;
            }
            chunks.add(new long[] {chunkStart, at});
            List<MappedByteBuffer> maps = new ArrayList<>();
            for (long[] c : chunks) {
                maps.add(ch.map(FileChannel.MapMode.READ_ONLY, c[0], c[1] - c[0]));
            }
            for (Placed p : placed) {
                ByteBuffer region = maps.get(p.chunk()).slice((int) p.at(), (int) p.bytes());
                Listing l = p.listing();
                PackedEntries entries = ((PackedEntries) l.listing().entries()).inRegion(region);
                out.put(p.dirPath(), new Listing(new DirListing(l.listing().verifier(), entries), l.exists(),
                        l.mtime(), l.loadedAt()));
            }
            return out;
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
