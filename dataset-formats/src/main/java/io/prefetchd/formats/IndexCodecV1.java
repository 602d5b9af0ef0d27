package io.prefetchd.formats;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Reads index files of version 1, which earlier builds wrote: a 32-byte header (magic, version 1, format, body
 * length, CRC32C of the body, CRC32C of the header) and a body of the columns end to end, decoded onto the heap.
 * Also the little-endian encoding both versions share for small structures (the directory, Parquet layouts).
 *
 * <pre>
 * body
 *  spec:    string location, int n + n strings columns, byte layout
 *  objects: strings keys, strings etags, long[] sizes
 *  webdataset: int[] firstSample, long[] starts, long[] ends, strings keys
 *  parquet: per file: strings columns, long[] rowGroupFirstRow, long[] chunkStart, long[] chunkLength,
 *           int[] pageIndex, long[] pageFirstRow, long[] pageOffset, int[] pageLength
 *  files:   nothing more
 * string = int byte length + UTF-8; strings = int[] ends + byte[] utf8; T[] = int length + elements
 * </pre>
 */
final class IndexCodecV1 {
    static final int HEADER = 32;

    private IndexCodecV1() {
    }

    static DatasetIndex decode(byte[] all) throws IndexCodec.CorruptException {
        if (all.length < HEADER) {
            throw new IndexCodec.CorruptException("shorter than the header (" + all.length + " bytes, truncated?)");
        }
        ByteBuffer h = ByteBuffer.wrap(all, 0, HEADER).order(ByteOrder.LITTLE_ENDIAN);
        h.position(12);
        int format = h.getInt();
        long bodyLength = h.getLong();
        int bodyCrc = h.getInt();
        int headerCrc = h.getInt();
        CRC32C crc = new CRC32C();
        crc.update(all, 0, 28);
        if ((int) crc.getValue() != headerCrc) {
            throw new IndexCodec.CorruptException("header checksum mismatch");
        }
        if (format < 0 || format >= Format.values().length) {
            throw new IndexCodec.CorruptException("unknown format " + format);
        }
        if (bodyLength != all.length - HEADER) {
            throw new IndexCodec.CorruptException("body is " + (all.length - HEADER) + " bytes, header says "
                    + bodyLength + " (truncated?)");
        }
        crc.reset();
        crc.update(all, HEADER, all.length - HEADER);
        if ((int) crc.getValue() != bodyCrc) {
            throw new IndexCodec.CorruptException("body checksum mismatch");
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
            throw new IndexCodec.CorruptException("unknown layout " + layout);
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
                    parts.add(in.part(objects.ref(i)));
                }
                yield new ParquetIndex(spec, objects, parts);
            }
        };
        if (in.b.hasRemaining()) {
            throw new IndexCodec.CorruptException(in.b.remaining() + " unexpected bytes after the index");
        }
        return index;
    }

    private static void checkSpans(ObjectTable objects, int[] first, long[] starts, long[] ends)
            throws IndexCodec.CorruptException {
        if (first.length != objects.size() + 1 || starts.length != ends.length || first[0] != 0
                || first[objects.size()] != starts.length) {
            throw new IndexCodec.CorruptException("inconsistent WebDataset arrays");
        }
        for (int o = 0; o < objects.size(); o++) {
            if (first[o + 1] < first[o]) {
                throw new IndexCodec.CorruptException("inconsistent WebDataset arrays");
            }
            for (int i = first[o]; i < first[o + 1]; i++) {
                if (starts[i] < 0 || ends[i] <= starts[i] || ends[i] > objects.size(o)) {
                    throw new IndexCodec.CorruptException("sample " + i + " lies outside its shard");
                }
            }
        }
    }

    private static void checkParquet(ParquetHandler.FilePart p) throws IndexCodec.CorruptException {
        int chunks = p.rowGroups() * p.columns().length;
        if (p.chunkStart().length != chunks || p.chunkLength().length != chunks
                || p.pageIndex().length != chunks + 1 || p.pageOffset().length != p.pageFirstRow().length
                || p.pageLength().length != p.pageOffset().length || p.rowGroupFirstRow()[0] != 0
                || p.pageIndex()[chunks] != p.pageOffset().length) {
            throw new IndexCodec.CorruptException("inconsistent Parquet arrays for " + p.object().key());
        }
    }

    /** A growing little-endian buffer. */
    static final class Out {
        private ByteBuffer b = ByteBuffer.allocate(1 << 12).order(ByteOrder.LITTLE_ENDIAN);

        ByteBuffer buf(long need) {
            if (b.remaining() < need) {
                long cap = Math.max(b.capacity() * 2L, b.position() + need);
                if (cap > Integer.MAX_VALUE - 64) {
                    throw new IllegalArgumentException("index section larger than 2 GiB");
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

        void strings(StringColumn.Heap s) {
            ints(s.ends());
            buf(4L + s.bytes().length).putInt(s.bytes().length).put(s.bytes());
        }

        void part(ParquetHandler.FilePart part) {
            StringColumn.Builder cols = new StringColumn.Builder();
            for (String c : part.columns()) {
                cols.add(c);
            }
            strings((StringColumn.Heap) cols.build());
            longs(part.rowGroupFirstRow());
            longs(part.chunkStart());
            longs(part.chunkLength());
            ints(part.pageIndex());
            longs(part.pageFirstRow());
            longs(part.pageOffset());
            ints(part.pageLength());
        }

        ByteBuffer finish() {
            b.flip();
            return b;
        }
    }

    /** Reads what {@link Out} wrote, checking every length against what is left. */
    static final class In {
        final ByteBuffer b;

        In(ByteBuffer b) {
            this.b = b;
        }

        int count(int elementBytes) throws IndexCodec.CorruptException {
            if (b.remaining() < 4) {
                throw new IndexCodec.CorruptException("truncated");
            }
            int n = b.getInt();
            if (n < 0 || (long) n * elementBytes > b.remaining()) {
                throw new IndexCodec.CorruptException("length " + n + " runs past the end");
            }
            return n;
        }

        String string() throws IndexCodec.CorruptException {
            byte[] u = new byte[count(1)];
            b.get(u);
            return new String(u, UTF_8);
        }

        int[] ints() throws IndexCodec.CorruptException {
            int[] a = new int[count(4)];
            b.asIntBuffer().get(a);
            b.position(b.position() + 4 * a.length);
            return a;
        }

        long[] longs() throws IndexCodec.CorruptException {
            long[] a = new long[count(8)];
            b.asLongBuffer().get(a);
            b.position(b.position() + 8 * a.length);
            return a;
        }

        StringColumn strings() throws IndexCodec.CorruptException {
            int[] ends = ints();
            byte[] bytes = new byte[count(1)];
            b.get(bytes);
            int prev = 0;
            for (int e : ends) {
                if (e < prev || e > bytes.length) {
                    throw new IndexCodec.CorruptException("string offsets out of order");
                }
                prev = e;
            }
            if (ends.length > 0 && ends[ends.length - 1] != bytes.length) {
                throw new IndexCodec.CorruptException("string offsets do not cover the bytes");
            }
            return new StringColumn.Heap(bytes, ends);
        }

        ObjectTable table() throws IndexCodec.CorruptException {
            StringColumn keys = strings();
            StringColumn etags = strings();
            long[] sizes = longs();
            if (keys.size() != sizes.length || etags.size() != sizes.length) {
                throw new IndexCodec.CorruptException("object table columns differ in length");
            }
            return new ObjectTable(keys, etags, LongColumn.of(sizes), Arrays.stream(sizes).sum(), null);
        }

        ParquetHandler.FilePart part(ObjectRef object) throws IndexCodec.CorruptException {
            StringColumn cols = strings();
            String[] c = new String[cols.size()];
            for (int j = 0; j < c.length; j++) {
                c[j] = cols.get(j);
            }
            ParquetHandler.FilePart part = new ParquetHandler.FilePart(object, c, longs(), longs(), longs(), ints(),
                    longs(), longs(), ints());
            checkParquet(part);
            return part;
        }
    }
}
