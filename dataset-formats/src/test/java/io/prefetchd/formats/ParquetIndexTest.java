package io.prefetchd.formats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParquetIndexTest {
    static final int ROWS = 2_000;
    static final long[] PROBES = {0, 1, 299, 300, 301, 777, 1199, 1200, 1999};

    @TempDir
    static Path tmp;

    @BeforeAll
    static void writeFixtures() throws Exception {
        // 4 row groups of 500 rows (the last smaller), pages of at most 100 rows
        ParquetFixtures.write(tmp.resolve("paged/part-0.parquet"), 0, ROWS, 600, 100, true,
                CompressionCodecName.SNAPPY);
        ParquetFixtures.write(tmp.resolve("plain/part-0.parquet"), 0, ROWS, 600, 100, false,
                CompressionCodecName.UNCOMPRESSED);
        for (int i = 0; i < 3; i++) {
            ParquetFixtures.write(tmp.resolve("multi/part-" + i + ".parquet"), i * 1000L, 1000, 400, 150, true,
                    CompressionCodecName.UNCOMPRESSED);
        }
        Files.writeString(tmp.resolve("multi/_SUCCESS"), "");
        Files.writeString(tmp.resolve("multi/.part-0.parquet.crc"), "");
    }

    private static DatasetIndex index(String location, List<String> columns) throws Exception {
        IndexBuild b = Fixtures.indexer(RangeSource.localFolder(tmp)).build(DatasetSpec.parquet(location, columns));
        assertTrue(b.complete(), b.failures().toString());
        return b.index();
    }

    @Test
    void pageIndexedFile_rowExtentsAreTheDictionaryAndDataPagesParquetMrNames() throws Exception {
        DatasetIndex index = index("paged/part-0.parquet", List.of());
        byte[] bytes = Files.readAllBytes(tmp.resolve("paged/part-0.parquet"));

        assertEquals(ROWS, index.sampleCount());
        for (long row = 0; row < ROWS; row += 37) {
            assertEquals(ParquetFixtures.expectedExtents("paged/part-0.parquet", bytes, row, List.of()),
                    index.extents(row), "row " + row);
        }
        // label is dictionary-encoded: its dictionary page comes first, then the one data page
        assertEquals(5, index.extents(0).size());
    }

    @Test
    void fileWithoutPageIndex_rowExtentsAreItsRowGroupsColumnChunks() throws Exception {
        DatasetIndex index = index("plain/part-0.parquet", List.of());
        byte[] bytes = Files.readAllBytes(tmp.resolve("plain/part-0.parquet"));

        for (long row : PROBES) {
            assertEquals(ParquetFixtures.expectedExtents("plain/part-0.parquet", bytes, row, List.of()),
                    index.extents(row), "row " + row);
        }
        assertEquals(index.extents(0), index.extents(599)); // same row group
        assertTrue(!index.extents(599).equals(index.extents(600)));
    }

    @Test
    void pageIndexedFile_theExtentsAloneLetParquetMrReadTheRow() throws Exception {
        DatasetIndex index = index("paged/part-0.parquet", List.of());
        byte[] bytes = Files.readAllBytes(tmp.resolve("paged/part-0.parquet"));
        for (long row : PROBES) {
            Group g = ParquetFixtures.readFenced(bytes, index.extents(row), row, ParquetFixtures.SCHEMA, true);
            assertRow(row, g);
        }
    }

    @Test
    void fileWithoutPageIndex_theExtentsAloneLetParquetMrReadTheRow() throws Exception {
        DatasetIndex index = index("plain/part-0.parquet", List.of());
        byte[] bytes = Files.readAllBytes(tmp.resolve("plain/part-0.parquet"));
        for (long row : PROBES) {
            Group g = ParquetFixtures.readFenced(bytes, index.extents(row), row, ParquetFixtures.SCHEMA, false);
            assertRow(row, g);
        }
    }

    @Test
    void fencedRead_withoutTheRowsPages_fails() throws Exception {
        DatasetIndex index = index("paged/part-0.parquet", List.of());
        byte[] bytes = Files.readAllBytes(tmp.resolve("paged/part-0.parquet"));
        // the extents of another page's row do not let the reader get row 777: the fence is real
        org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                () -> ParquetFixtures.readFenced(bytes, index.extents(0), 777, ParquetFixtures.SCHEMA, true));
    }

    @Test
    void projectedColumns_onlyTheirPagesAreExtentsAndSufficeToReadThem() throws Exception {
        DatasetIndex index = index("paged/part-0.parquet", List.of("score", "label"));
        byte[] bytes = Files.readAllBytes(tmp.resolve("paged/part-0.parquet"));
        MessageType projection = MessageTypeParser.parseMessageType(
                "message sample { required binary label (UTF8); required double score; }");
        for (long row : PROBES) {
            assertEquals(ParquetFixtures.expectedExtents("paged/part-0.parquet", bytes, row, List.of("label", "score")),
                    index.extents(row));
            Group g = ParquetFixtures.readFenced(bytes, index.extents(row), row, projection, true);
            assertEquals(ParquetFixtures.label(row), g.getString("label", 0));
            assertEquals(ParquetFixtures.score(row), g.getDouble("score", 0));
        }
    }

    @Test
    void folderOfFiles_rowsAreNumberedAcrossFilesInKeyOrderSkippingHiddenFiles() throws Exception {
        DatasetIndex index = index("multi", List.of());

        assertEquals(List.of("multi/part-0.parquet", "multi/part-1.parquet", "multi/part-2.parquet"),
                index.objects().stream().map(ObjectRef::key).toList());
        assertEquals(3000, index.sampleCount());
        assertEquals("multi/part-1.parquet#234", index.key(1234));
        byte[] bytes = Files.readAllBytes(tmp.resolve("multi/part-1.parquet"));
        assertEquals(ParquetFixtures.expectedExtents("multi/part-1.parquet", bytes, 234, List.of()),
                index.extents(1234));
        Group g = ParquetFixtures.readFenced(bytes, index.extents(1234), 234, ParquetFixtures.SCHEMA, true);
        assertRow(1234, g);
    }

    @Test
    void metadataRead_isTheTailTheFooterAndTheOffsetIndexesInThreeRequests() throws Exception {
        IndexBuild b = Fixtures.indexer(RangeSource.localFolder(tmp))
                .build(DatasetSpec.parquet("paged/part-0.parquet", List.of()));
        byte[] bytes = Files.readAllBytes(tmp.resolve("paged/part-0.parquet"));
        long footer = (bytes[bytes.length - 8] & 0xff) | (bytes[bytes.length - 7] & 0xff) << 8
                | (bytes[bytes.length - 6] & 0xff) << 16;

        assertEquals(3, b.stats().requests());
        assertTrue(b.stats().metadataBytesRead() > 8 + footer, "offset indexes are read too");
        assertTrue(b.stats().metadataBytesRead() < bytes.length / 5, b.stats().toString());
    }

    @Test
    void fileWithoutPageIndex_isIndexedWithTwoReads() throws Exception {
        IndexBuild b = Fixtures.indexer(RangeSource.localFolder(tmp))
                .build(DatasetSpec.parquet("plain/part-0.parquet", List.of()));
        assertEquals(2, b.stats().requests());
    }

    private static void assertRow(long id, Group g) {
        assertEquals(id, g.getLong("id", 0));
        assertEquals(ParquetFixtures.label(id), g.getString("label", 0));
        assertArrayEquals(ParquetFixtures.payload(id), g.getBinary("payload", 0).getBytes());
        assertEquals(ParquetFixtures.score(id), g.getDouble("score", 0));
    }
}
