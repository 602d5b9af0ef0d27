package io.prefetchd.formats;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The persisted form of an index: its columns written out as they are, little-endian and 8-byte aligned, so that a
 * load maps the file and reads the columns in place. Opening a 100 M-sample index touches the header and the
 * directory only; nothing per sample is decoded or put on the heap.
 *
 * <h2>Why not Arrow IPC</h2>
 * An index is a handful of primitive columns plus small per-object tables of different shapes per format. Arrow
 * IPC would add ~10 MB of jars and the {@code --add-opens=java.base/java.nio} flag to this module's runtime, and
 * would still need a second table shape per format. What Arrow gives (reading the file from pyarrow or DuckDB) is
 * covered by {@code prefetchd index --json}. Traces, which users do query, stay Arrow IPC in access-tracer.
 *
 * <h2>Layout (version 2)</h2>
 * <pre>
 * header, 48 bytes
 *   0  8  magic "PFXIDX\r\n"
 *   8  4  version = 2
 *  12  4  format ordinal (0 parquet, 1 webdataset, 2 files)
 *  16  8  file length
 *  24  8  directory offset
 *  32  4  CRC32C of the directory (directory offset to the end of the file)
 *  36  4  block size shift (16: 64 KiB blocks)
 *  40  4  zero
 *  44  4  CRC32C of header bytes 0..43
 * columns, from byte 48 to the directory, each at a multiple of 8
 *  objects:    key ends (long), key bytes, ETag ends (long), ETag bytes, sizes (long), key order (int; empty
 *              when the keys are sorted)
 *  webdataset: first sample per shard (int, shards + 1), starts (long), ends (long), key ends (long), key bytes
 *  parquet:    one column of bytes: per file, strings columns, long[] rowGroupFirstRow, long[] chunkStart,
 *              long[] chunkLength, int[] pageIndex, long[] pageFirstRow, long[] pageOffset, int[] pageLength
 *  files:      nothing more
 * directory
 *  int n + n CRC32C, one per block of the columns (block b = bytes [48 + b·64 KiB, ...) up to the directory)
 *  spec: string location, int n + n strings columns, byte layout
 *  long total bytes of the objects
 *  int n + n × (long offset, long element count) of the columns above, in that order
 * string = int byte length + UTF-8; T[] = int length + elements
 * </pre>
 * A file that fails a check at open (magic, version, either header checksum, the file length, a column outside
 * the column area or of the wrong length) is refused with an {@link IOException} naming the file. The columns
 * are checked block by block the first time they are read ({@link MappedFile}): a bad block fails the read that
 * touched it, naming the file; a corrupt index is never used.
 *
 * <h2>Version 1</h2>
 * Files of version 1 (the columns as one checksummed body, decoded onto the heap) are still read
 * ({@link IndexCodecV1}); {@link DatasetIndexer#loadOrBuild} rewrites them as version 2.
 */
final class IndexCodec {
    static final byte[] MAGIC = "PFXIDX\r\n".getBytes(UTF_8);
    static final int VERSION = 2;
    static final int HEADER = 48;
    static final int BLOCK_SHIFT = 16;

    private IndexCodec() {
    }

    /** True when {@code index} was read from a file of the current version (its columns are mapped). */
    static boolean isCurrent(DatasetIndex index) {
        return index instanceof ObjectTableIndex t && t.objects.sizes instanceof LongColumn.Mapped;
    }

    static void write(DatasetIndex index, Path file) throws IOException {
        writeAtomically(file, ch -> writeTo(index, ch));
    }

    /** What writes an index file's bytes into an open channel. */
    interface Body {
        void writeTo(FileChannel ch) throws IOException;
    }

    /** Writes {@code body} to a temporary file beside {@code file}, forces it, then renames it to {@code file}. */
    static void writeAtomically(Path file, Body body) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
                body.writeTo(ch);
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void writeTo(DatasetIndex index, FileChannel ch) throws IOException {
        DatasetSpec spec = index.spec();
        IndexWriter w = new IndexWriter(ch, HEADER);
        List<long[]> columns = new ArrayList<>();
        writeObjects(index, w, columns);
        switch (spec.format()) {
            case WEBDATASET -> writeWebDataset(index, w, columns);
            case PARQUET -> {
                if (!(index instanceof ParquetIndex p)) {
                    throw new IllegalArgumentException("a Parquet index of this module is needed, not "
                            + index.getClass().getName());
                }
                IndexCodecV1.Out blob = new IndexCodecV1.Out();
                for (ParquetHandler.FilePart part : p.parts()) {
                    blob.part(part);
                }
                ByteBuffer b = blob.finish();
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                columns.add(new long[] {w.align(), bytes.length});
                w.bytes(bytes);
            }
            case FILES -> {
            }
        }
        finish(w, ch, spec, index.totalBytes(), columns);
    }

    /**
     * Closes the column area written through {@code w} (padding, block checksums), then writes the directory after
     * it and the header at the start of {@code ch}.
     */
    static void finish(IndexWriter w, FileChannel ch, DatasetSpec spec, long totalBytes, List<long[]> columns)
            throws IOException {
        w.align();
        int[] crcs = w.finishBlocks();
        long dirOffset = w.position();

        IndexCodecV1.Out d = new IndexCodecV1.Out();
        d.ints(crcs);
        d.string(spec.location());
        d.i32(spec.columns().size());
        for (String c : spec.columns()) {
            d.string(c);
        }
        d.buf(1).put((byte) spec.layout().ordinal());
        d.buf(8).putLong(totalBytes);
        d.i32(columns.size());
        for (long[] c : columns) {
            d.buf(16).putLong(c[0]).putLong(c[1]);
        }
        ByteBuffer dirBytes = d.finish();
        CRC32C crc = new CRC32C();
        crc.update(dirBytes.duplicate());
        int dirCrc = (int) crc.getValue();
        w.raw(dirBytes);
        long length = w.position();

        ByteBuffer h = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
        h.put(MAGIC).putInt(VERSION).putInt(spec.format().ordinal()).putLong(length).putLong(dirOffset)
                .putInt(dirCrc).putInt(BLOCK_SHIFT).putInt(0);
        crc.reset();
        crc.update(h.array(), 0, HEADER - 4);
        h.putInt((int) crc.getValue());
        h.flip();
        for (long at = 0; h.hasRemaining(); ) {
            at += ch.write(h, at);
        }
    }

    private static void writeObjects(DatasetIndex index, IndexWriter w, List<long[]> columns) throws IOException {
        List<ObjectRef> objects = index.objects();
        int n = objects.size();
        strings(w, columns, n, i -> objects.get(i).key());
        strings(w, columns, n, i -> objects.get(i).etag());
        columns.add(new long[] {w.align(), n});
        for (int i = 0; i < n; i++) {
            w.i64(objects.get(i).size());
        }
        IntColumn order = index instanceof ObjectTableIndex t ? t.objects.keyOrder() : ObjectTable.keyOrder(objects);
        columns.add(new long[] {w.align(), order.size()});
        for (int i = 0; i < order.size(); i++) {
            w.i32(order.get(i));
        }
    }

    /** Two columns: the strings' cumulative byte lengths, then their bytes. */
    private static void strings(IndexWriter w, List<long[]> columns, int n, java.util.function.IntFunction<String> s)
            throws IOException {
        columns.add(new long[] {w.align(), n});
        long end = 0;
        for (int i = 0; i < n; i++) {
            end += s.apply(i).getBytes(UTF_8).length;
            w.i64(end);
        }
        columns.add(new long[] {w.align(), end});
        for (int i = 0; i < n; i++) {
            w.bytes(s.apply(i).getBytes(UTF_8));
        }
    }

    /**
     * Writes any WebDataset-shaped index: one extent a sample, in shard order, rising offsets within a shard, inside
     * the shard. Several passes over the samples, so an index computed on the fly (a benchmark's) is never held.
     */
    private static void writeWebDataset(DatasetIndex index, IndexWriter w, List<long[]> columns) throws IOException {
        long count = index.sampleCount();
        if (count > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("more than 2^31 WebDataset samples in one index: " + count);
        }
        int n = (int) count;
        int objects = index.objects().size();
        int[] first = new int[objects + 1];
        long[] extent = new long[3];
        int previous = 0;
        long previousEnd = 0;
        for (int s = 0; s < n; s++) {
            one(index, s, extent);
            int o = (int) extent[0];
            if (o < previous || o >= objects) {
                throw new IllegalArgumentException("sample " + s + " is in object " + o + ", after object " + previous);
            }
            if (o == previous && s > 0 && extent[1] < previousEnd) {
                throw new IllegalArgumentException("sample " + s + " starts at " + extent[1]
                        + ", before the end of the previous sample of its shard");
            }
            for (int k = previous + 1; k <= o; k++) {
                first[k] = s;
            }
            previous = o;
            previousEnd = extent[1] + extent[2];
        }
        for (int k = n == 0 ? 1 : previous + 1; k <= objects; k++) {
            first[k] = n;
        }
        columns.add(new long[] {w.align(), first.length});
        for (int f : first) {
            w.i32(f);
        }
        columns.add(new long[] {w.align(), n});
        for (int s = 0; s < n; s++) {
            one(index, s, extent);
            w.i64(extent[1]);
        }
        columns.add(new long[] {w.align(), n});
        for (int s = 0; s < n; s++) {
            one(index, s, extent);
            w.i64(extent[1] + extent[2]);
        }
        strings(w, columns, n, index::key);
    }

    /** The single extent of WebDataset sample {@code s} as (object, offset, length). */
    private static void one(DatasetIndex index, int s, long[] out) {
        int[] seen = {0};
        index.forEachExtent(s, (object, offset, length) -> {
            seen[0]++;
            out[0] = object;
            out[1] = offset;
            out[2] = length;
        });
        if (seen[0] != 1) {
            throw new IllegalArgumentException("WebDataset sample " + s + " has " + seen[0] + " extents, not 1");
        }
    }

    // ------------------------------------------------------------------ reading

    static DatasetIndex read(Path file) throws IOException {
        MappedFile m = MappedFile.open(file);
        try {
            return decode(m, file);
        } catch (CorruptException | RuntimeException e) {
            throw new IOException("persisted index " + file + " is corrupt: " + e.getMessage(), e);
        }
    }

    static final class CorruptException extends Exception {
        CorruptException(String m) {
            super(m);
        }
    }

    private static DatasetIndex decode(MappedFile m, Path file) throws CorruptException, IOException {
        if (m.size() < 12) {
            throw new CorruptException("shorter than the header (" + m.size() + " bytes, truncated?)");
        }
        byte[] magic = new byte[8];
        m.get(0, magic, 0, 8);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new CorruptException("not a prefetchd index (bad magic)");
        }
        int version = m.getInt(8);
        if (version == 1) {
            return IndexCodecV1.decode(Files.readAllBytes(file));
        }
        if (m.size() < HEADER) {
            throw new CorruptException("shorter than the header (" + m.size() + " bytes, truncated?)");
        }
        if (m.crc(0, HEADER - 4) != m.getInt(HEADER - 4)) {
            throw new CorruptException("header checksum mismatch");
        }
        if (version != VERSION) {
            throw new CorruptException("format version " + version + " is newer than this build reads (1 and "
                    + VERSION + ")");
        }
        int format = m.getInt(12);
        long length = m.getLong(16);
        long dirOffset = m.getLong(24);
        int dirCrc = m.getInt(32);
        int shift = m.getInt(36);
        if (format < 0 || format >= Format.values().length) {
            throw new CorruptException("unknown format " + format);
        }
        if (length != m.size()) {
            throw new CorruptException("file is " + m.size() + " bytes, header says " + length + " (truncated?)");
        }
        if (dirOffset < HEADER || dirOffset > length || dirOffset % 8 != 0 || shift < 12 || shift > 24) {
            throw new CorruptException("directory offset " + dirOffset + " or block shift " + shift + " is invalid");
        }
        if (m.crc(dirOffset, length - dirOffset) != dirCrc) {
            throw new CorruptException("directory checksum mismatch");
        }
        byte[] dirBytes = new byte[(int) Math.min(Integer.MAX_VALUE - 16, length - dirOffset)];
        m.get(dirOffset, dirBytes, 0, dirBytes.length);
        IndexCodecV1.In d = new IndexCodecV1.In(ByteBuffer.wrap(dirBytes).order(ByteOrder.LITTLE_ENDIAN));
        int[] crcs = d.ints();
        m.guard(HEADER, dirOffset, shift, crcs);
        String location = d.string();
        int nColumns = d.count(4);
        List<String> specColumns = new ArrayList<>(nColumns);
        for (int i = 0; i < nColumns; i++) {
            specColumns.add(d.string());
        }
        int layout = d.b.get();
        if (layout < 0 || layout >= FileLayout.values().length) {
            throw new CorruptException("unknown layout " + layout);
        }
        DatasetSpec spec = new DatasetSpec(Format.values()[format], location, specColumns,
                FileLayout.values()[layout]);
        long totalBytes = d.b.getLong();
        int n = d.count(16);
        Columns c = new Columns(m, dirOffset, n, d.b);
        int objects = c.count(0);
        ObjectTable table = new ObjectTable(c.strings(objects), c.strings(objects), c.longs(objects), totalBytes,
                c.ints(-1));
        if (table.keyOrder().size() != 0 && table.keyOrder().size() != objects) {
            throw new CorruptException("key order has " + table.keyOrder().size() + " entries for " + objects
                    + " objects");
        }
        DatasetIndex index = switch (spec.format()) {
            case WEBDATASET -> {
                IntColumn first = c.ints(objects + 1);
                int samples = c.count(0);
                LongColumn starts = c.longs(samples);
                LongColumn ends = c.longs(samples);
                StringColumn keys = c.strings(samples);
                if (first.get(0) != 0 || first.get(objects) != samples) {
                    throw new CorruptException("inconsistent WebDataset arrays");
                }
                for (int o = 0; o < objects; o++) {
                    if (first.get(o + 1) < first.get(o)) {
                        throw new CorruptException("inconsistent WebDataset arrays");
                    }
                }
                yield new WebDatasetIndex(spec, table, first, starts, ends, keys);
            }
            case FILES -> new FilesIndex(spec, table);
            case PARQUET -> {
                byte[] blob = c.bytes();
                IndexCodecV1.In in = new IndexCodecV1.In(ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN));
                List<ParquetHandler.FilePart> parts = new ArrayList<>(objects);
                for (int i = 0; i < objects; i++) {
                    parts.add(in.part(table.ref(i)));
                }
                if (in.b.hasRemaining()) {
                    throw new CorruptException(in.b.remaining() + " unexpected bytes after the Parquet layouts");
                }
                yield new ParquetIndex(spec, table, parts);
            }
        };
        if (c.next != n || d.b.hasRemaining()) {
            throw new CorruptException("the directory lists " + n + " columns, the format has " + c.next);
        }
        return index;
    }

    /** The directory's column entries, taken in order and checked against the column area. */
    private static final class Columns {
        final MappedFile m;
        final long areaEnd;
        final long[] offsets;
        final long[] counts;
        int next;

        Columns(MappedFile m, long areaEnd, int n, ByteBuffer dir) {
            this.m = m;
            this.areaEnd = areaEnd;
            offsets = new long[n];
            counts = new long[n];
            for (int i = 0; i < n; i++) {
                offsets[i] = dir.getLong();
                counts[i] = dir.getLong();
            }
        }

        /** The element count of the column {@code ahead} entries on. */
        int count(int ahead) throws CorruptException {
            if (next + ahead >= offsets.length) {
                throw new CorruptException("the directory lists too few columns");
            }
            long n = counts[next + ahead];
            if (n < 0 || n > Integer.MAX_VALUE - 16) {
                throw new CorruptException("column " + (next + ahead) + " has " + n + " elements");
            }
            return (int) n;
        }

        private long take(int elementBytes, long expected) throws CorruptException {
            int n = count(0);
            long off = offsets[next];
            if (expected >= 0 && n != expected) {
                throw new CorruptException("column " + next + " has " + n + " elements, " + expected + " expected");
            }
            if (off < HEADER || off % 8 != 0 || off + (long) elementBytes * n > areaEnd) {
                throw new CorruptException("column " + next + " at " + off + " (" + n + " × " + elementBytes
                        + " bytes) lies outside the column area [" + HEADER + ", " + areaEnd + ")");
            }
            next++;
            return off;
        }

        LongColumn longs(int expected) throws CorruptException {
            long off = take(8, expected);
            return LongColumn.mapped(m, off, (int) counts[next - 1]);
        }

        IntColumn ints(int expected) throws CorruptException {
            long off = take(4, expected);
            return IntColumn.mapped(m, off, (int) counts[next - 1]);
        }

        StringColumn strings(int expected) throws CorruptException {
            long endsAt = take(8, expected);
            int n = (int) counts[next - 1];
            if (next >= counts.length) {
                throw new CorruptException("the directory lists too few columns");
            }
            long bytesAt = offsets[next];
            long bytes = counts[next];
            if (bytesAt < HEADER || bytes < 0 || bytesAt + bytes > areaEnd) {
                throw new CorruptException("string bytes of column " + (next - 1) + " lie outside the column area");
            }
            next++;
            StringColumn s = StringColumn.mapped(m, endsAt, bytesAt, n);
            if (n > 0 && m.getLong(endsAt + 8L * (n - 1)) != bytes) {
                throw new CorruptException("string offsets of column " + (next - 2) + " do not cover its bytes");
            }
            return s;
        }

        byte[] bytes() throws CorruptException {
            int n = count(0);
            long off = take(1, -1);
            byte[] out = new byte[n];
            m.get(off, out, 0, n);
            return out;
        }
    }
}
