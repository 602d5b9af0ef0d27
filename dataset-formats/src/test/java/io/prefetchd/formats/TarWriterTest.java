package io.prefetchd.formats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

class TarWriterTest {

    @Test
    void close_emptyArchive_isTwoZeroBlocks() throws IOException {
        assertArrayEquals(new byte[1024], archive(0, w -> { }));
    }

    @Test
    void addFile_dataIsPaddedToBlockAndFollowedByEndBlocks() throws IOException {
        byte[] tar = archive(0, w -> w.addFile("a.txt", new byte[] {1, 2, 3}));
        assertEquals(512 + 512 + 1024, tar.length);
        assertArrayEquals(new byte[] {1, 2, 3}, Arrays.copyOfRange(tar, 512, 515));
        assertArrayEquals(new byte[509 + 1024], Arrays.copyOfRange(tar, 515, tar.length));
    }

    @Test
    void position_countsHeadersPaddingAndEndBlocks() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TarWriter w = new TarWriter(out, 0);
        w.addFile("a", new byte[513]);
        assertEquals(512 + 1024, w.position());
        w.finish();
        assertEquals(512 + 1024 + 1024, w.position());
        assertEquals(out.size(), w.position());
    }

    @Test
    void header_hasUstarFieldsAndValidChecksum() throws IOException {
        byte[] h = Arrays.copyOf(archive(1_704_067_200L, w -> w.addFile("x/y.cls", "3".getBytes())), 512);
        assertEquals("x/y.cls", field(h, 0, 100));
        assertEquals("0000644", field(h, 100, 8));
        assertEquals("00000000001", field(h, 124, 12));
        assertEquals(Long.toOctalString(1_704_067_200L), field(h, 136, 12).replaceFirst("^0+", ""));
        assertEquals('0', h[156]);
        assertEquals("ustar", field(h, 257, 6));
        assertEquals("00", new String(h, 263, 2, StandardCharsets.US_ASCII));
        int sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : h[i] & 0xff;
        }
        assertEquals(sum, Integer.parseInt(field(h, 148, 7), 8));
        assertEquals(' ', h[155]);
    }

    @Test
    void addFile_longNameWithFolders_isSplitIntoPrefixAndName_andReadsBackWhole() throws IOException {
        String name = "d".repeat(90) + "/" + "e".repeat(30) + "/" + "f".repeat(95) + ".jpg";
        byte[] tar = archive(0, w -> w.addFile(name, new byte[7]));
        assertEquals("f".repeat(95) + ".jpg", field(tar, 0, 100));
        assertEquals("d".repeat(90) + "/" + "e".repeat(30), field(tar, 345, 155));
        assertEquals(List.of(name), List.copyOf(Fixtures.contents("t.tar", tar).keySet()));
    }

    @Test
    void addFile_nameThatCannotBeSplit_isRejected() {
        assertThrows(IllegalArgumentException.class, () -> archive(0, w -> w.addFile("n".repeat(101), new byte[0])));
        assertThrows(IllegalArgumentException.class, () -> archive(0, w -> w.addFile("", new byte[0])));
    }

    @Test
    void addFile_afterFinish_isRejected() throws IOException {
        TarWriter w = new TarWriter(new ByteArrayOutputStream(), 0);
        w.finish();
        assertThrows(IllegalStateException.class, () -> w.addFile("a", new byte[0]));
    }

    private interface Members {
        void add(TarWriter w) throws IOException;
    }

    private static byte[] archive(long mtime, Members members) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarWriter w = new TarWriter(out, mtime)) {
            members.add(w);
        }
        return out.toByteArray();
    }

    private static String field(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) {
            end++;
        }
        return new String(h, off, end - off, StandardCharsets.US_ASCII);
    }
}
