package io.prefetchd.formats;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PrimitiveIterator;
import java.util.stream.IntStream;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.filter2.compat.FilterCompat;
import org.apache.parquet.format.ColumnChunk;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.RowGroup;
import org.apache.parquet.format.Util;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.internal.column.columnindex.OffsetIndex;
import org.apache.parquet.io.DelegatingSeekableInputStream;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * Parquet fixtures written by parquet-mr's own writer, and parquet-mr as the independent reader of them.
 * Hadoop is on the test classpath only.
 */
final class ParquetFixtures {
    static final MessageType SCHEMA = MessageTypeParser.parseMessageType(
            "message sample { required int64 id; required binary label (UTF8); required binary payload; "
                    + "required double score; }");

    private ParquetFixtures() {
    }

    /** The row's values, a function of its id. */
    static String label(long id) {
        return "class-" + (id % 7);
    }

    static byte[] payload(long id) {
        return Fixtures.bytes(id, (int) (id * 37 % 300) + 1);
    }

    static double score(long id) {
        return id * 0.5;
    }

    /**
     * Writes {@code rows} rows with ids from {@code firstId}: {@code label} dictionary-encoded, {@code payload}
     * plain, row groups of {@code rowGroupRows}, pages of at most {@code pageRows} rows. parquet-mr always
     * writes the page index; with {@code pageIndex = false} the footer is rewritten without it, as files from
     * writers before parquet-mr 1.11 look (the data pages stay as written).
     */
    static void write(Path file, long firstId, int rows, int rowGroupRows, int pageRows, boolean pageIndex,
            CompressionCodecName codec) throws IOException {
        Files.deleteIfExists(file);
        Files.createDirectories(file.toAbsolutePath().getParent());
        SimpleGroupFactory f = new SimpleGroupFactory(SCHEMA);
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withConf(new PlainParquetConfiguration())
                .withType(SCHEMA)
                .withCompressionCodec(codec)
                .withDictionaryEncoding(true)
                .withDictionaryEncoding("payload", false)
                .withRowGroupRowCountLimit(rowGroupRows)
                .withPageRowCountLimit(pageRows)
                .withPageSize(1 << 20)
                .withRowGroupSize(64L << 20)
                .build()) {
            for (long id = firstId; id < firstId + rows; id++) {
                w.write(f.newGroup().append("id", id).append("label", label(id))
                        .append("payload", org.apache.parquet.io.api.Binary.fromConstantByteArray(payload(id)))
                        .append("score", score(id)));
            }
        }
        if (!pageIndex) {
            dropPageIndex(file);
        }
    }

    static void dropPageIndex(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        int len = (b[b.length - 8] & 0xff) | (b[b.length - 7] & 0xff) << 8 | (b[b.length - 6] & 0xff) << 16
                | (b[b.length - 5] & 0xff) << 24;
        int footerStart = b.length - 8 - len;
        FileMetaData meta = Util.readFileMetaData(new ByteArrayInputStream(b, footerStart, len));
        for (RowGroup rg : meta.getRow_groups()) {
            for (ColumnChunk cc : rg.getColumns()) {
                cc.unsetOffset_index_offset();
                cc.unsetOffset_index_length();
                cc.unsetColumn_index_offset();
                cc.unsetColumn_index_length();
            }
        }
        ByteArrayOutputStream footer = new ByteArrayOutputStream();
        Util.writeFileMetaData(meta, footer);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(b, 0, footerStart);
        footer.writeTo(out);
        int n = footer.size();
        out.write(new byte[] {(byte) n, (byte) (n >> 8), (byte) (n >> 16), (byte) (n >> 24)});
        out.write("PAR1".getBytes(UTF_8));
        Files.write(file, out.toByteArray());
    }

    static ParquetReadOptions options() {
        return ParquetReadOptions.builder(new PlainParquetConfiguration()).build();
    }

    /** parquet-mr's reader over a file's bytes. */
    static ParquetFileReader open(byte[] bytes) throws IOException {
        return new ParquetFileReader(new FencedFile(bytes, null), options());
    }

    /** The expected extents of row {@code rowInFile} from parquet-mr's own footer and offset index reader. */
    static List<Extent> expectedExtents(String key, byte[] bytes, long rowInFile, List<String> columns)
            throws IOException {
        List<Extent> out = new ArrayList<>();
        try (ParquetFileReader r = open(bytes)) {
            long first = 0;
            for (var block : r.getRowGroups()) {
                if (rowInFile < first + block.getRowCount()) {
                    for (var col : block.getColumns()) {
                        String path = col.getPath().toDotString();
                        if (!columns.isEmpty() && !columns.contains(path)) {
                            continue;
                        }
                        OffsetIndex oi = r.readOffsetIndex(col);
                        if (oi == null) {
                            out.add(new Extent(key, col.getStartingPos(), col.getTotalSize()));
                            continue;
                        }
                        if (col.getStartingPos() < oi.getOffset(0)) {
                            out.add(new Extent(key, col.getStartingPos(), oi.getOffset(0) - col.getStartingPos()));
                        }
                        long inGroup = rowInFile - first;
                        int p = 0;
                        while (p + 1 < oi.getPageCount() && oi.getFirstRowIndex(p + 1) <= inGroup) {
                            p++;
                        }
                        out.add(new Extent(key, oi.getOffset(p), oi.getCompressedPageSize(p)));
                    }
                    return out;
                }
                first += block.getRowCount();
            }
        }
        throw new AssertionError("no row " + rowInFile);
    }

    /**
     * Reads row {@code rowInFile} with parquet-mr from a copy of the file in which only the footer, the page
     * index area and {@code extents} are readable: any other byte read fails the read. Returns the row.
     */
    static Group readFenced(byte[] bytes, List<Extent> extents, long rowInFile, MessageType projection,
            boolean pageIndex) throws IOException {
        List<long[]> allowed = new ArrayList<>();
        for (Extent e : extents) {
            allowed.add(new long[] {e.offset(), e.end()});
        }
        allowed.add(new long[] {0, 4});
        allowed.add(new long[] {metadataStart(bytes), bytes.length});
        try (ParquetFileReader r = new ParquetFileReader(new FencedFile(bytes, allowed), options())) {
            r.setRequestedSchema(projection);
            long first = 0;
            for (int g = 0; g < r.getRowGroups().size(); g++) {
                long rows = r.getRowGroups().get(g).getRowCount();
                if (rowInFile < first + rows) {
                    long inGroup = rowInFile - first;
                    PageReadStore pages = pageIndex
                            ? r.readFilteredRowGroup(g, org.apache.parquet.internal.filter2.columnindex.RowRanges
                                    .create(rows, IntStream.of(0).iterator(), new OneRow(inGroup)))
                            : r.readRowGroup(g);
                    RecordReader<Group> rr = new ColumnIOFactory().getColumnIO(projection)
                            .getRecordReader(pages, new GroupRecordConverter(projection), FilterCompat.NOOP);
                    Group row = rr.read();
                    for (long skip = pageIndex ? 0 : inGroup; skip > 0; skip--) {
                        row = rr.read();
                    }
                    return row;
                }
                first += rows;
            }
        }
        throw new AssertionError("no row " + rowInFile);
    }

    /** Where the page indexes (or, without them, the footer) begin. */
    static long metadataStart(byte[] b) throws IOException {
        int len = (b[b.length - 8] & 0xff) | (b[b.length - 7] & 0xff) << 8 | (b[b.length - 6] & 0xff) << 16
                | (b[b.length - 5] & 0xff) << 24;
        long start = b.length - 8L - len;
        FileMetaData meta = Util.readFileMetaData(new ByteArrayInputStream(b, (int) start, len));
        for (RowGroup rg : meta.getRow_groups()) {
            for (ColumnChunk cc : rg.getColumns()) {
                if (cc.isSetColumn_index_offset()) {
                    start = Math.min(start, cc.getColumn_index_offset());
                }
                if (cc.isSetOffset_index_offset()) {
                    start = Math.min(start, cc.getOffset_index_offset());
                }
            }
        }
        return start;
    }

    /** A row range of one row, in the shape {@code RowRanges.create} takes: page 0 of a two-page index. */
    private record OneRow(long row) implements OffsetIndex {
        @Override
        public int getPageCount() {
            return 2;
        }

        @Override
        public long getOffset(int pageIndex) {
            return 0;
        }

        @Override
        public int getCompressedPageSize(int pageIndex) {
            return 0;
        }

        @Override
        public long getFirstRowIndex(int pageIndex) {
            return row + pageIndex;
        }
    }

    /** A file in memory whose reads outside {@code allowed} ranges fail; {@code null} allows everything. */
    static final class FencedFile implements InputFile {
        private final byte[] bytes;
        private final List<long[]> allowed;

        FencedFile(byte[] bytes, List<long[]> allowed) {
            this.bytes = bytes;
            this.allowed = allowed;
        }

        @Override
        public long getLength() {
            return bytes.length;
        }

        @Override
        public SeekableInputStream newStream() {
            Fenced in = new Fenced();
            return new DelegatingSeekableInputStream(in) {
                @Override
                public long getPos() {
                    return in.pos();
                }

                @Override
                public void seek(long newPos) {
                    in.seek(newPos);
                }
            };
        }

        private final class Fenced extends InputStream {
            private int pos;

            long pos() {
                return pos;
            }

            void seek(long p) {
                pos = (int) p;
            }

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (pos >= bytes.length) {
                    return -1;
                }
                int n = Math.min(len, bytes.length - pos);
                check(pos, pos + n);
                System.arraycopy(bytes, pos, b, off, n);
                pos += n;
                return n;
            }

            private void check(long from, long to) throws IOException {
                if (allowed == null) {
                    return;
                }
                long at = from;
                while (at < to) {
                    long next = at;
                    for (long[] a : allowed) {
                        if (a[0] <= at && at < a[1]) {
                            next = Math.max(next, a[1]);
                        }
                    }
                    if (next == at) {
                        throw new IOException("read of fenced byte " + at + " (read [" + from + ", " + to + "))");
                    }
                    at = next;
                }
            }
        }
    }

    static PrimitiveIterator.OfInt none() {
        return IntStream.empty().iterator();
    }

    static byte[] withByte(byte[] b, int at, int value) {
        byte[] c = Arrays.copyOf(b, b.length);
        c[at] = (byte) value;
        return c;
    }
}
