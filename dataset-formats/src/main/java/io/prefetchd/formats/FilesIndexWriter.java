package io.prefetchd.formats;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Writes a file-per-sample index straight from a listing in key order, as S3 lists a folder: each object goes to
 * five temporary column files (key ends, key bytes, ETag ends, ETag bytes, sizes) beside the index as it is added,
 * and {@link #finish} copies them into the index. The heap holds the buffers and the previous key, whatever the
 * number of objects, and the file is byte for byte the one {@link IndexStore#write} writes for the same objects.
 *
 * <p>Objects are written in key order, the order of a {@link FileLayout#SORTED} dataset, and of an
 * {@link FileLayout#IMAGE_FOLDER} one whose listing is in its order (checked by the caller): a key that is not
 * greater than the one before (a listing out of order, or a key listed twice) is refused. Not thread-safe; close
 * it to delete the temporary files of a write that did not finish.
 */
public final class FilesIndexWriter implements Closeable {
    private final DatasetSpec spec;
    private final Path file;
    private final List<SpilledColumn> spilled = new ArrayList<>(5);
    private final SpilledColumn keyEnds;
    private final SpilledColumn keyBytes;
    private final SpilledColumn etagEnds;
    private final SpilledColumn etagBytes;
    private final SpilledColumn sizes;
    private byte[] previousKey = new byte[0];
    private int count;
    private long totalBytes;
    private boolean finished;

    private FilesIndexWriter(DatasetSpec spec, Path file) throws IOException {
        this.spec = spec;
        this.file = file;
        Path dir = requireNonNull(file.toAbsolutePath().getParent(), "an index file has a folder");
        Files.createDirectories(dir);
        try {
            keyEnds = spill(dir, "key-ends");
            keyBytes = spill(dir, "keys");
            etagEnds = spill(dir, "etag-ends");
            etagBytes = spill(dir, "etags");
            sizes = spill(dir, "sizes");
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** A writer of the index of {@code spec} (a file-per-sample dataset, its samples in key order) to {@code file}. */
    public static FilesIndexWriter create(DatasetSpec spec, Path file) throws IOException {
        requireNonNull(spec, "spec is null");
        requireNonNull(file, "file is null");
        if (spec.format() != Format.FILES) {
            throw new IllegalArgumentException("only a file-per-sample dataset is written from a listing, not "
                    + spec.format().cliName());
        }
        return new FilesIndexWriter(spec, file);
    }

    private SpilledColumn spill(Path dir, String name) throws IOException {
        SpilledColumn c = new SpilledColumn(dir, file.getFileName() + "." + name);
        spilled.add(c);
        return c;
    }

    /**
     * Adds the next object of the listing.
     *
     * @throws IllegalArgumentException when its key is not greater than the previous object's (byte order of
     *     UTF-8, the order S3 lists in), or there are more objects than one index holds
     */
    public void add(ObjectRef object) throws IOException {
        requireNonNull(object, "object is null");
        if (finished) {
            throw new IllegalStateException("the index was already written");
        }
        byte[] key = object.key().getBytes(UTF_8);
        if (count > 0) {
            int c = Arrays.compareUnsigned(previousKey, key);
            if (c == 0) {
                throw new IllegalArgumentException("key '" + object.key() + "' is listed twice");
            } else if (c > 0) {
                throw new IllegalArgumentException("listing not in key order: '" + object.key() + "' after '"
                        + new String(previousKey, UTF_8) + "'");
            }
        }
        if (count == Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("too many objects for one index: " + count);
        }
        byte[] etag = object.etag().getBytes(UTF_8);
        keyBytes.bytes(key);
        keyEnds.i64(keyBytes.length());
        etagBytes.bytes(etag);
        etagEnds.i64(etagBytes.length());
        sizes.i64(object.size());
        totalBytes += object.size();
        previousKey = key;
        count++;
    }

    /** The number of objects added. */
    public int count() {
        return count;
    }

    /** Writes the index file (atomically) and deletes the temporary columns; returns the file. */
    public Path finish() throws IOException {
        if (finished) {
            throw new IllegalStateException("the index was already written");
        }
        finished = true;
        try {
            IndexCodec.writeAtomically(file, ch -> {
                IndexWriter w = new IndexWriter(ch, IndexCodec.HEADER);
                List<long[]> columns = new ArrayList<>(6);
                column(w, columns, keyEnds, count);
                column(w, columns, keyBytes, keyBytes.length());
                column(w, columns, etagEnds, count);
                column(w, columns, etagBytes, etagBytes.length());
                column(w, columns, sizes, count);
                columns.add(new long[] {w.align(), 0}); // key order: empty, the keys are sorted
                IndexCodec.finish(w, ch, spec, totalBytes, columns);
            });
        } finally {
            close();
        }
        return file;
    }

    private static void column(IndexWriter w, List<long[]> columns, SpilledColumn c, long elements)
            throws IOException {
        columns.add(new long[] {w.align(), elements});
        c.copyTo(w);
    }

    @Override
    public void close() throws IOException {
        IOException failed = null;
        for (SpilledColumn c : spilled) {
            try {
                c.close();
            } catch (IOException e) {
                if (failed == null) {
                    failed = e;
                } else {
                    failed.addSuppressed(e);
                }
            }
        }
        spilled.clear();
        if (failed != null) {
            throw failed;
        }
    }
}
