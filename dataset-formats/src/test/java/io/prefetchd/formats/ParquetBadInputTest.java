package io.prefetchd.formats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParquetBadInputTest {
    @TempDir
    static Path tmp;
    static byte[] good;

    @BeforeAll
    static void writeFixture() throws Exception {
        Path f = tmp.resolve("good.parquet");
        ParquetFixtures.write(f, 0, 300, 100, 50, true, CompressionCodecName.UNCOMPRESSED);
        good = Files.readAllBytes(f);
    }

    private static ObjectFailure indexBad(String name, byte[] bytes) throws Exception {
        Path dir = Files.createTempDirectory(tmp, "case");
        Fixtures.write(dir.resolve("a-good.parquet"), good);
        Fixtures.write(dir.resolve(name), bytes);
        IndexBuild b = Fixtures.indexer(RangeSource.localFolder(dir)).build(DatasetSpec.parquet("", List.of()));
        assertEquals(300, b.index().sampleCount(), "the good file is indexed");
        assertEquals(1, b.failures().size());
        ObjectFailure f = b.failures().get(0);
        assertEquals(name, f.object());
        assertTrue(f.message().startsWith(name + " at byte " + f.offset() + ": "), f.message());
        return f;
    }

    private static int footerLength() {
        return (good[good.length - 8] & 0xff) | (good[good.length - 7] & 0xff) << 8
                | (good[good.length - 6] & 0xff) << 16;
    }

    @Test
    void missingTrailingMagic_isReportedAtTheLastFourBytes() throws Exception {
        byte[] b = ParquetFixtures.withByte(good, good.length - 1, 'X');
        ObjectFailure f = indexBad("b.parquet", b);
        assertEquals(good.length - 4, f.offset());
        assertTrue(f.message().contains("missing PAR1 magic"), f.message());
    }

    @Test
    void footerLengthPastTheStartOfTheFile_isReportedAtTheLengthField() throws Exception {
        byte[] b = Arrays.copyOf(good, good.length);
        b[b.length - 5] = 0x7f; // footer length ~2 GB
        ObjectFailure f = indexBad("b.parquet", b);
        assertEquals(good.length - 8, f.offset());
        assertTrue(f.message().contains("reaches past the start of the file"), f.message());
    }

    @Test
    void garbageFooter_isACorruptFooterAtTheFootersOffset() throws Exception {
        byte[] b = Arrays.copyOf(good, good.length);
        int start = good.length - 8 - footerLength();
        for (int i = start; i < start + 40; i++) {
            b[i] = (byte) 0xff;
        }
        ObjectFailure f = indexBad("b.parquet", b);
        assertEquals(start, f.offset());
        assertTrue(f.message().contains("corrupt footer"), f.message());
    }

    @Test
    void truncatedFile_lacksItsMagic() throws Exception {
        ObjectFailure f = indexBad("b.parquet", Arrays.copyOf(good, good.length / 2));
        assertTrue(f.message().contains("missing PAR1 magic"), f.message());
    }

    @Test
    void tinyFile_isTooSmallForParquet() throws Exception {
        ObjectFailure f = indexBad("b.parquet", "PAR1PAR1".getBytes());
        assertEquals(0, f.offset());
        assertTrue(f.message().contains("too small for Parquet"), f.message());
    }

    @Test
    void unknownColumn_namesTheColumnsTheFileHas() throws Exception {
        Path dir = Files.createTempDirectory(tmp, "cols");
        Fixtures.write(dir.resolve("a.parquet"), good);
        IndexBuild b = Fixtures.indexer(RangeSource.localFolder(dir))
                .build(DatasetSpec.parquet("", List.of("nope")));
        assertEquals(0, b.index().sampleCount());
        assertTrue(b.failures().get(0).message().contains("no column 'nope' in this file; its columns are id, label,"
                + " payload, score"), b.failures().get(0).message());
    }
}
