package io.prefetchd.formats;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.parquet.format.ColumnChunk;
import org.apache.parquet.format.ColumnMetaData;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.OffsetIndex;
import org.apache.parquet.format.PageLocation;
import org.apache.parquet.format.RowGroup;
import org.apache.parquet.format.Util;

/**
 * Parquet files; a sample is a row.
 *
 * <p>Per file: one ranged read of the last 8 bytes (footer length + {@code PAR1}), one of the footer, decoded
 * with the Thrift structures of parquet-format (no Hadoop). When the projected column chunks carry an offset
 * index (the page index), a third read fetches the span holding those offset indexes; parquet-mr and Arrow
 * write them back to back just before the footer. A row's extents are then, per projected column, the data
 * page holding the row ({@code first_row_index} of the page, relative to its row group), preceded by the
 * chunk's dictionary page when it has one, since a dictionary-encoded page cannot be decoded without it.
 * Without an offset index a row's extent per column is its row group's whole column chunk (dictionary page
 * included): it starts at {@code dictionary_page_offset} when that is set, positive and before
 * {@code data_page_offset}, else at {@code data_page_offset}, and is {@code total_compressed_size} long.
 *
 * <p>Every offset from the footer is checked against the file before it is used: a column chunk or page
 * outside {@code [4, footer start)}, row counts that do not add up, and undecodable Thrift are
 * {@link FormatException}s naming the file and the offset.
 */
final class ParquetHandler implements FormatHandler<ParquetHandler.FilePart> {
    static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);
    static final byte[] ENCRYPTED_MAGIC = "PARE".getBytes(StandardCharsets.US_ASCII);
    /** A larger footer is more likely a corrupt length than a real file; refuse rather than allocate. */
    static final int MAX_FOOTER = 256 << 20;
    static final int MAX_OFFSET_INDEX_SPAN = 256 << 20;

    /**
     * One file's layout. Chunk {@code k = rowGroup * columns.length + column}. Pages of chunk {@code k} are
     * {@code [pageIndex[k], pageIndex[k + 1])}; none when the chunk has no offset index.
     */
    record FilePart(ObjectRef object, String[] columns, long[] rowGroupFirstRow, long[] chunkStart,
            long[] chunkLength, int[] pageIndex, long[] pageFirstRow, long[] pageOffset, int[] pageLength)
            implements FormatHandler.Part {

        long rows() {
            return rowGroupFirstRow[rowGroupFirstRow.length - 1];
        }

        int rowGroups() {
            return rowGroupFirstRow.length - 1;
        }

        boolean hasPageIndex() {
            return pageOffset.length > 0;
        }

        long memoryBytes() {
            long strings = 0;
            for (String c : columns) {
                strings += 48 + c.length();
            }
            return 96 + strings + 8L * (rowGroupFirstRow.length + chunkStart.length + chunkLength.length
                    + pageFirstRow.length + pageOffset.length) + 4L * (pageIndex.length + pageLength.length) + 16 * 9;
        }

        /**
         * The first row (of this file) of the extent of chunk {@code k} holding byte {@code offset}: the row
         * group's first row for its dictionary page or a chunk without page index, the page's first row for a
         * data page; -1 when the byte is in no extent of the chunk.
         */
        long firstRowAt(int k, long offset) {
            if (offset < chunkStart[k] || offset >= chunkStart[k] + chunkLength[k]) {
                return -1;
            }
            int rg = k / columns.length;
            int from = pageIndex[k];
            int to = pageIndex[k + 1];
            if (from == to || offset < pageOffset[from]) {
                return rowGroupFirstRow[rg];
            }
            int p = upperBound(pageOffset, from, to, offset) - 1;
            return offset < pageOffset[p] + pageLength[p] ? rowGroupFirstRow[rg] + pageFirstRow[p] : -1;
        }

        void forEachExtent(int file, long row, ExtentSink sink) {
            int rg = upperBound(rowGroupFirstRow, row) - 1;
            long inGroup = row - rowGroupFirstRow[rg];
            int cols = columns.length;
            for (int c = 0; c < cols; c++) {
                int k = rg * cols + c;
                int from = pageIndex[k];
                int to = pageIndex[k + 1];
                if (from == to) {
                    sink.accept(file, chunkStart[k], chunkLength[k]);
                    continue;
                }
                int p = upperBound(pageFirstRow, from, to, inGroup) - 1;
                long firstPage = pageOffset[from];
                if (chunkStart[k] < firstPage) {
                    sink.accept(file, chunkStart[k], firstPage - chunkStart[k]); // dictionary page
                }
                sink.accept(file, pageOffset[p], pageLength[p]);
            }
        }
    }

    @Override
    public List<ObjectRef> resolve(RangeSource source, DatasetSpec spec, List<ObjectFailure> failures)
            throws IOException {
        return Locations.fileOrFolder(source, spec.location(), ".parquet");
    }

    @Override
    public FilePart scan(CountingSource source, ObjectRef object, DatasetSpec spec) throws IOException {
        String key = object.key();
        long size = object.size();
        if (size < 12) {
            throw new FormatException(key, 0, "too small for Parquet: " + size
                    + " bytes (PAR1, a footer length and PAR1 take 12)");
        }
        byte[] tail = source.read(object, size - 8, 8);
        source.metadataBytes.add(tail.length);
        if (tail.length != 8) {
            throw new FormatException(key, size - 8, "object shorter than listed (" + size + " bytes)");
        }
        if (Arrays.equals(tail, 4, 8, ENCRYPTED_MAGIC, 0, 4)) {
            throw new FormatException(key, size - 4, "encrypted footer (PARE) is not supported");
        }
        if (!Arrays.equals(tail, 4, 8, MAGIC, 0, 4)) {
            throw new FormatException(key, size - 4, "missing PAR1 magic at the end of the file (found "
                    + hex(tail, 4, 4) + ")");
        }
        long footerLength = (tail[0] & 0xffL) | (tail[1] & 0xffL) << 8 | (tail[2] & 0xffL) << 16
                | (tail[3] & 0xffL) << 24;
        long footerStart = size - 8 - footerLength;
        if (footerLength == 0 || footerStart < 4) {
            throw new FormatException(key, size - 8, "footer length " + footerLength
                    + " reaches past the start of the file (" + size + " bytes)");
        }
        if (footerLength > MAX_FOOTER) {
            throw new FormatException(key, size - 8, "footer length " + footerLength + " exceeds the limit "
                    + MAX_FOOTER);
        }
        byte[] footer = source.read(object, footerStart, (int) footerLength);
        source.metadataBytes.add(footer.length);
        if (footer.length != footerLength) {
            throw new FormatException(key, footerStart, "object shorter than listed (" + size + " bytes)");
        }
        FileMetaData meta;
        try {
            meta = Util.readFileMetaData(new ByteArrayInputStream(footer));
        } catch (IOException | RuntimeException e) {
            throw new FormatException(key, footerStart, "corrupt footer: " + rootMessage(e), e);
        }
        return layout(source, object, spec, meta, footerStart);
    }

    private static FilePart layout(CountingSource source, ObjectRef object, DatasetSpec spec, FileMetaData meta,
            long footerStart) throws IOException {
        String key = object.key();
        List<RowGroup> groups = meta.isSetRow_groups() ? meta.getRow_groups() : List.of();
        // column paths from the first row group; every row group must list the same ones
        List<String> paths = new ArrayList<>();
        if (!groups.isEmpty()) {
            for (ColumnChunk cc : groups.get(0).getColumns()) {
                paths.add(pathOf(key, footerStart, cc));
            }
        }
        int[] selected = project(key, footerStart, paths, spec.columns(), groups.isEmpty());
        int cols = selected.length;
        long[] rgFirst = new long[groups.size() + 1];
        long[] chunkStart = new long[groups.size() * cols];
        long[] chunkLength = new long[groups.size() * cols];
        ColumnChunk[] chunks = new ColumnChunk[groups.size() * cols];
        for (int g = 0; g < groups.size(); g++) {
            RowGroup rg = groups.get(g);
            if (rg.getNum_rows() < 0) {
                throw new FormatException(key, footerStart, "corrupt footer: row group " + g + " has "
                        + rg.getNum_rows() + " rows");
            }
            rgFirst[g + 1] = rgFirst[g] + rg.getNum_rows();
            if (rg.getColumnsSize() != paths.size()) {
                throw new FormatException(key, footerStart, "corrupt footer: row group " + g + " has "
                        + rg.getColumnsSize() + " column chunks, the first has " + paths.size());
            }
            for (int c = 0; c < cols; c++) {
                ColumnChunk cc = rg.getColumns().get(selected[c]);
                String path = pathOf(key, footerStart, cc);
                if (!path.equals(paths.get(selected[c]))) {
                    throw new FormatException(key, footerStart, "corrupt footer: row group " + g
                            + " has column '" + path + "' where the first has '" + paths.get(selected[c]) + "'");
                }
                ColumnMetaData m = cc.getMeta_data();
                long start = m.getData_page_offset();
                if (m.isSetDictionary_page_offset() && m.getDictionary_page_offset() > 0
                        && m.getDictionary_page_offset() < start) {
                    start = m.getDictionary_page_offset();
                }
                long len = m.getTotal_compressed_size();
                if (start < 4 || len <= 0 || start + len > footerStart) {
                    throw new FormatException(key, start, "column chunk '" + path + "' of row group " + g
                            + " at [" + start + ", " + (start + len) + ") lies outside the data area [4, "
                            + footerStart + ")");
                }
                int k = g * cols + c;
                chunkStart[k] = start;
                chunkLength[k] = len;
                chunks[k] = cc;
            }
        }
        if (meta.getNum_rows() != rgFirst[groups.size()]) {
            throw new FormatException(key, footerStart, "corrupt footer: num_rows " + meta.getNum_rows()
                    + " but the row groups hold " + rgFirst[groups.size()]);
        }
        int[] pageIndex = new int[chunks.length + 1];
        LongList firstRows = new LongList();
        LongList offsets = new LongList();
        LongList lengths = new LongList();
        byte[] span = null;
        long spanStart = Long.MAX_VALUE;
        long spanEnd = Long.MIN_VALUE;
        for (ColumnChunk cc : chunks) {
            if (hasOffsetIndex(cc)) {
                spanStart = Math.min(spanStart, cc.getOffset_index_offset());
                spanEnd = Math.max(spanEnd, cc.getOffset_index_offset() + cc.getOffset_index_length());
            }
        }
        if (spanStart < spanEnd) {
            if (spanStart < 4 || spanEnd > footerStart || spanEnd - spanStart > MAX_OFFSET_INDEX_SPAN) {
                throw new FormatException(key, spanStart, "offset indexes at [" + spanStart + ", " + spanEnd
                        + ") lie outside the data area [4, " + footerStart + ") or exceed "
                        + MAX_OFFSET_INDEX_SPAN + " bytes");
            }
            span = source.read(object, spanStart, (int) (spanEnd - spanStart));
            source.metadataBytes.add(span.length);
            if (span.length != spanEnd - spanStart) {
                throw new FormatException(key, spanStart, "object shorter than listed (" + object.size()
                        + " bytes)");
            }
        }
        for (int k = 0; k < chunks.length; k++) {
            pageIndex[k] = offsets.size();
            ColumnChunk cc = chunks[k];
            if (span != null && hasOffsetIndex(cc)) {
                addPages(key, cc, span, spanStart, chunkStart[k], chunkLength[k],
                        rgFirst[k / cols + 1] - rgFirst[k / cols], firstRows, offsets, lengths);
            }
        }
        pageIndex[chunks.length] = offsets.size();
        String[] columns = new String[cols];
        for (int c = 0; c < cols; c++) {
            columns[c] = paths.get(selected[c]);
        }
        int[] pageLength = new int[lengths.size()];
        for (int i = 0; i < pageLength.length; i++) {
            pageLength[i] = (int) lengths.get(i);
        }
        return new FilePart(object, columns, rgFirst, chunkStart, chunkLength, pageIndex, firstRows.toArray(),
                offsets.toArray(), pageLength);
    }

    private static void addPages(String key, ColumnChunk cc, byte[] span, long spanStart, long chunkStart,
            long chunkLength, long groupRows, LongList firstRows, LongList offsets, LongList lengths)
            throws FormatException {
        long at = cc.getOffset_index_offset();
        OffsetIndex oi;
        try {
            oi = Util.readOffsetIndex(new ByteArrayInputStream(span, (int) (at - spanStart),
                    cc.getOffset_index_length()));
        } catch (IOException | RuntimeException e) {
            throw new FormatException(key, at, "corrupt offset index: " + rootMessage(e), e);
        }
        List<PageLocation> pages = oi.getPage_locations();
        if (pages == null || pages.isEmpty()) {
            if (groupRows == 0) {
                return;
            }
            throw new FormatException(key, at, "offset index lists no pages for " + groupRows + " rows");
        }
        long prevRow = -1;
        for (int i = 0; i < pages.size(); i++) {
            PageLocation p = pages.get(i);
            long first = p.getFirst_row_index();
            boolean ok = (i == 0 ? first == 0 : first > prevRow) && first < Math.max(groupRows, 1)
                    && p.getCompressed_page_size() > 0 && p.getOffset() >= chunkStart
                    && p.getOffset() + p.getCompressed_page_size() <= chunkStart + chunkLength;
            if (!ok) {
                throw new FormatException(key, at, "corrupt offset index: page " + i + " (first row " + first
                        + ", bytes [" + p.getOffset() + ", " + (p.getOffset() + p.getCompressed_page_size())
                        + ")) does not fit its column chunk [" + chunkStart + ", " + (chunkStart + chunkLength)
                        + ") of " + groupRows + " rows");
            }
            prevRow = first;
            firstRows.add(first);
            offsets.add(p.getOffset());
            lengths.add(p.getCompressed_page_size());
        }
    }

    private static boolean hasOffsetIndex(ColumnChunk cc) {
        return cc.isSetOffset_index_offset() && cc.isSetOffset_index_length() && cc.getOffset_index_length() > 0;
    }

    private static String pathOf(String key, long footerStart, ColumnChunk cc) throws FormatException {
        if (cc.isSetFile_path()) {
            throw new FormatException(key, footerStart, "column chunk stored in another file ("
                    + cc.getFile_path() + ") is not supported");
        }
        if (!cc.isSetMeta_data()) {
            throw new FormatException(key, footerStart, "column chunk without metadata (encrypted columns are "
                    + "not supported)");
        }
        return String.join(".", cc.getMeta_data().getPath_in_schema());
    }

    private static int[] project(String key, long footerStart, List<String> paths, List<String> wanted,
            boolean noRowGroups) throws FormatException {
        if (wanted.isEmpty()) {
            int[] all = new int[paths.size()];
            for (int i = 0; i < all.length; i++) {
                all[i] = i;
            }
            return all;
        }
        if (noRowGroups) {
            return new int[0]; // an empty file has no columns to check against
        }
        List<Integer> out = new ArrayList<>();
        for (String w : wanted) {
            boolean found = false;
            for (int i = 0; i < paths.size(); i++) {
                String p = paths.get(i);
                if (p.equals(w) || p.startsWith(w + ".")) {
                    found = true;
                    if (!out.contains(i)) {
                        out.add(i);
                    }
                }
            }
            if (!found) {
                throw new FormatException(key, footerStart, "no column '" + w + "' in this file; its columns are "
                        + String.join(", ", paths));
            }
        }
        out.sort(Integer::compare); // file order, whatever order they were asked in
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    static int upperBound(long[] a, long v) {
        return upperBound(a, 0, a.length, v);
    }

    /** The first index in {@code [from, to)} whose value is greater than {@code v}, or {@code to}. */
    static int upperBound(long[] a, int from, int to, long v) {
        int lo = from;
        int hi = to;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] <= v) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private static String hex(byte[] b, int off, int len) {
        StringBuilder s = new StringBuilder();
        for (int i = off; i < off + len; i++) {
            s.append(String.format("%02x", b[i] & 0xff));
        }
        return s.toString();
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    @Override
    public DatasetIndex assemble(DatasetSpec spec, List<FilePart> parts) {
        return new ParquetIndex(spec, parts);
    }

    @Override
    public List<FilePart> parts(DatasetIndex index) {
        return ((ParquetIndex) index).parts();
    }
}
