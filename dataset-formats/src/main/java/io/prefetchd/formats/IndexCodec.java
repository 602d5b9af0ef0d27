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
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The persisted form of an index: the in-memory columns written out as they are, little-endian, behind a
 * checksummed header.
 *
 * <h2>Why not Arrow IPC</h2>
 * An index is a handful of primitive arrays (per sample: start, end, key bytes; per Parquet page: first row,
 * offset, length) plus small per-object tables of different shapes per format. Writing those arrays raw makes
 * a load one sequential read, one CRC32C pass (hardware-accelerated) and bulk array copies: for a million
 * WebDataset samples ~35 MB in well under a second, with no per-row decoding. Arrow IPC would add ~10 MB of
 * jars (arrow-vector, arrow-memory-netty, flatbuffers) and the {@code --add-opens=java.base/java.nio} flag
 * to this module's runtime, and would still need a second table shape per format. What Arrow gives (reading
 * the file from pyarrow or DuckDB) is covered by {@code prefetchd index --json}. Traces, which users do
 * query, stay Arrow IPC in access-tracer.
 *
 * <h2>Layout (version 1)</h2>
 * <pre>
 * header, 32 bytes
 *   0  8  magic "PFXIDX\r\n"
 *   8  4  version = 1
 *  12  4  format ordinal (0 parquet, 1 webdataset, 2 files)
 *  16  8  body length
 *  24  4  CRC32C of the body
 *  28  4  CRC32C of header bytes 0..27
 * body
 *  spec:    string location, int n + n strings columns, byte layout
 *  objects: strings keys, strings etags, long[] sizes
 *  webdataset: int[] firstSample, long[] starts, long[] ends, strings keys
 *  parquet: per file: strings columns, long[] rowGroupFirstRow, long[] chunkStart, long[] chunkLength,
 *           int[] pageIndex, long[] pageFirstRow, long[] pageOffset, int[] pageLength
 *  files:   nothing more
 * string = int byte length + UTF-8; strings = int[] ends + byte[] utf8; T[] = int length + elements
 * </pre>
 * A file that fails any check (magic, version, either CRC, a length past the end, inconsistent arrays) is
 * refused with an {@link IOException} naming the file; it is never partly used.
 */
final class IndexCodec {
    static final byte[] MAGIC = "PFXIDX\r\n".getBytes(UTF_8);
    static final int VERSION = 1;
    static final int HEADER = 32;

    private IndexCodec() {
    }

    static void write(DatasetIndex index, Path file) throws IOException {
        Out body = new Out();
        DatasetSpec spec = index.spec();
        body.string(spec.location());
        body.i32(spec.columns().size());
        for (String c : spec.columns()) {
            body.string(c);
        }
        body.buf(1).put((byte) spec.layout().ordinal());
        if (index instanceof WebDatasetIndex w) {
            body.table(w.objects);
            body.ints(w.firstSample);
            body.longs(w.starts);
            body.longs(w.ends);
            body.strings(w.keys);
        } else if (index instanceof FilesIndex f) {
            body.table(f.objects);
        } else if (index instanceof ParquetIndex p) {
            List<ParquetHandler.FilePart> parts = p.parts();
            List<ObjectRef> refs = new ArrayList<>();
            for (ParquetHandler.FilePart part : parts) {
                refs.add(part.object());
            }
            body.table(ObjectTable.of(refs));
            for (ParquetHandler.FilePart part : parts) {
                StringColumn.Builder cols = new StringColumn.Builder();
                for (String c : part.columns()) {
                    cols.add(c);
                }
                body.strings(cols.build());
                body.longs(part.rowGroupFirstRow());
                body.longs(part.chunkStart());
                body.longs(part.chunkLength());
                body.ints(part.pageIndex());
                body.longs(part.pageFirstRow());
                body.longs(part.pageOffset());
                body.ints(part.pageLength());
            }
        } else {
            throw new IllegalArgumentException("not an index of this module: " + index.getClass().getName());
        }
        ByteBuffer b = body.finish();
        ByteBuffer header = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
        header.put(MAGIC).putInt(VERSION).putInt(spec.format().ordinal()).putLong(b.remaining());
        CRC32C crc = new CRC32C();
        crc.update(b.duplicate());
        header.putInt((int) crc.getValue());
        crc.reset();
        crc.update(header.array(), 0, 28);
        header.putInt((int) crc.getValue());
        header.flip();

        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                while (header.hasRemaining()) {
                    ch.write(header);
                }
                while (b.hasRemaining()) {
                    ch.write(b);
                }
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

    static DatasetIndex read(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        try {
            return decode(all);
        } catch (CorruptException | RuntimeException e) {
            throw new IOException("persisted index " + file + " is corrupt: " + e.getMessage(), e);
        }
    }

    private static final class CorruptException extends Exception {
        CorruptException(String m) {
            super(m);
        }
    }

    static DatasetIndex decode(byte[] all) throws CorruptException {
        if (all.length < HEADER) {
            throw new CorruptException("shorter than the header (" + all.length + " bytes)");
        }
        ByteBuffer h = ByteBuffer.wrap(all, 0, HEADER).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[8];
        h.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new CorruptException("not a prefetchd index (bad magic)");
        }
        int version = h.getInt();
        int format = h.getInt();
        long bodyLength = h.getLong();
        int bodyCrc = h.getInt();
        int headerCrc = h.getInt();
        CRC32C crc = new CRC32C();
        crc.update(all, 0, 28);
        if ((int) crc.getValue() != headerCrc) {
            throw new CorruptException("header checksum mismatch");
        }
        if (version != VERSION) {
            throw new CorruptException("version " + version + ", this build reads " + VERSION);
        }
        if (format < 0 || format >= Format.values().length) {
            throw new CorruptException("unknown format " + format);
        }
        if (bodyLength != all.length - HEADER) {
            throw new CorruptException("body is " + (all.length - HEADER) + " bytes, header says " + bodyLength
                    + " (truncated?)");
        }
        crc.reset();
        crc.update(all, HEADER, all.length - HEADER);
        if ((int) crc.getValue() != bodyCrc) {
            throw new CorruptException("body checksum mismatch");
        }
        In in = new In(ByteBuffer.wrap(all, HEADER, all.length - HEADER).slice().order(ByteOrder.LITTLE_ENDIAN));
        String location = in.string();
        int nColumns = in.count(4);
        List<String> columns = new ArrayList<>(nColumns);
        for (int i = 0; i < nColumns; i++) {
            columns.add(in.string());
        }
        int layout = in.b.get();
        if (layout < 0 || layout >= FileLayout.values().length) {
            throw new CorruptException("unknown layout " + layout);
        }
        DatasetSpec spec = new DatasetSpec(Format.values()[format], location, columns, FileLayout.values()[layout]);
        ObjectTable objects = in.table();
        DatasetIndex index = switch (spec.format()) {
            case WEBDATASET -> {
                int[] first = in.ints();
                long[] starts = in.longs();
                long[] ends = in.longs();
                StringColumn keys = in.strings();
                checkSpans(objects, first, starts, ends);
                yield new WebDatasetIndex(spec, objects, first, starts, ends, keys);
            }
            case FILES -> new FilesIndex(spec, objects);
            case PARQUET -> {
                List<ParquetHandler.FilePart> parts = new ArrayList<>(objects.size());
                for (int i = 0; i < objects.size(); i++) {
                    StringColumn cols = in.strings();
                    String[] c = new String[cols.size()];
                    for (int j = 0; j < c.length; j++) {
                        c[j] = cols.get(j);
                    }
                    ParquetHandler.FilePart part = new ParquetHandler.FilePart(objects.ref(i), c, in.longs(),
                            in.longs(), in.longs(), in.ints(), in.longs(), in.longs(), in.ints());
                    checkParquet(part);
                    parts.add(part);
                }
                yield new ParquetIndex(spec, parts);
            }
        };
        if (in.b.hasRemaining()) {
            throw new CorruptException(in.b.remaining() + " unexpected bytes after the index");
        }
        return index;
    }

    private static void checkSpans(ObjectTable objects, int[] first, long[] starts, long[] ends)
            throws CorruptException {
        if (first.length != objects.size() + 1 || starts.length != ends.length || first[0] != 0
                || first[objects.size()] != starts.length) {
            throw new CorruptException("inconsistent WebDataset arrays");
        }
        for (int o = 0; o < objects.size(); o++) {
            if (first[o + 1] < first[o]) {
                throw new CorruptException("inconsistent WebDataset arrays");
            }
            for (int i = first[o]; i < first[o + 1]; i++) {
                if (starts[i] < 0 || ends[i] <= starts[i] || ends[i] > objects.sizes[o]) {
                    throw new CorruptException("sample " + i + " lies outside its shard");
                }
            }
        }
    }

    private static void checkParquet(ParquetHandler.FilePart p) throws CorruptException {
        int chunks = p.rowGroups() * p.columns().length;
        if (p.chunkStart().length != chunks || p.chunkLength().length != chunks
                || p.pageIndex().length != chunks + 1 || p.pageOffset().length != p.pageFirstRow().length
                || p.pageLength().length != p.pageOffset().length || p.rowGroupFirstRow()[0] != 0
                || p.pageIndex()[chunks] != p.pageOffset().length) {
            throw new CorruptException("inconsistent Parquet arrays for " + p.object().key());
        }
    }

    /** A growing little-endian buffer. */
    private static final class Out {
        private ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

        ByteBuffer buf(long need) {
            if (b.remaining() < need) {
                long cap = Math.max(b.capacity() * 2L, b.position() + need);
                if (cap > Integer.MAX_VALUE - 64) {
                    throw new IllegalArgumentException("index larger than 2 GiB cannot be persisted");
                }
                ByteBuffer n = ByteBuffer.allocate((int) cap).order(ByteOrder.LITTLE_ENDIAN);
                b.flip();
                n.put(b);
                b = n;
            }
            return b;
        }

        void i32(int v) {
            buf(4).putInt(v);
        }

        void string(String s) {
            byte[] u = s.getBytes(UTF_8);
            buf(4L + u.length).putInt(u.length).put(u);
        }

        void ints(int[] a) {
            ByteBuffer x = buf(4L + 4L * a.length).putInt(a.length);
            x.asIntBuffer().put(a);
            x.position(x.position() + 4 * a.length);
        }

        void longs(long[] a) {
            ByteBuffer x = buf(4L + 8L * a.length).putInt(a.length);
            x.asLongBuffer().put(a);
            x.position(x.position() + 8 * a.length);
        }

        void strings(StringColumn s) {
            ints(s.ends);
            buf(4L + s.bytes.length).putInt(s.bytes.length).put(s.bytes);
        }

        void table(ObjectTable t) {
            strings(t.keys);
            strings(t.etags);
            longs(t.sizes);
        }

        ByteBuffer finish() {
            b.flip();
            return b;
        }
    }

    /** Reads what {@link Out} wrote, checking every length against what is left. */
    private static final class In {
        final ByteBuffer b;

        In(ByteBuffer b) {
            this.b = b;
        }

        int count(int elementBytes) throws CorruptException {
            if (b.remaining() < 4) {
                throw new CorruptException("truncated");
            }
            int n = b.getInt();
            if (n < 0 || (long) n * elementBytes > b.remaining()) {
                throw new CorruptException("length " + n + " runs past the end");
            }
            return n;
        }

        String string() throws CorruptException {
            byte[] u = new byte[count(1)];
            b.get(u);
            return new String(u, UTF_8);
        }

        int[] ints() throws CorruptException {
            int[] a = new int[count(4)];
            b.asIntBuffer().get(a);
            b.position(b.position() + 4 * a.length);
            return a;
        }

        long[] longs() throws CorruptException {
            long[] a = new long[count(8)];
            b.asLongBuffer().get(a);
            b.position(b.position() + 8 * a.length);
            return a;
        }

        StringColumn strings() throws CorruptException {
            int[] ends = ints();
            byte[] bytes = new byte[count(1)];
            b.get(bytes);
            int prev = 0;
            for (int e : ends) {
                if (e < prev || e > bytes.length) {
                    throw new CorruptException("string offsets out of order");
                }
                prev = e;
            }
            if (ends.length > 0 && ends[ends.length - 1] != bytes.length) {
                throw new CorruptException("string offsets do not cover the bytes");
            }
            return new StringColumn(bytes, ends);
        }

        ObjectTable table() throws CorruptException {
            StringColumn keys = strings();
            StringColumn etags = strings();
            long[] sizes = longs();
            if (keys.size() != sizes.length || etags.size() != sizes.length) {
                throw new CorruptException("object table columns differ in length");
            }
            return new ObjectTable(keys, etags, sizes);
        }
    }
}
