package io.prefetchd.gateway.embedded;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

class TarWriterTest {

    @Test
    void finish_emptyArchive_isTwoZeroBlocks() {
        assertArrayEquals(new byte[1024], new TarWriter(0).finish());
    }

    @Test
    void addFile_dataIsPaddedToBlockAndFollowedByEndBlocks() {
        byte[] tar = new TarWriter(0).addFile("a.txt", new byte[] {1, 2, 3}).finish();
        assertEquals(512 + 512 + 1024, tar.length);
        assertArrayEquals(new byte[] {1, 2, 3}, Arrays.copyOfRange(tar, 512, 515));
        assertArrayEquals(new byte[509 + 1024], Arrays.copyOfRange(tar, 515, tar.length));
    }

    @Test
    void header_hasUstarFieldsAndValidChecksum() {
        byte[] h = Arrays.copyOf(new TarWriter(1_704_067_200L).addFile("x/y.cls", "3".getBytes()).finish(), 512);
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
    void addFile_nameLongerThan100Bytes_isRejected() {
        assertThrows(IllegalArgumentException.class, () -> new TarWriter(0).addFile("n".repeat(101), new byte[0]));
    }

    @Test
    void addFile_afterFinish_isRejected() {
        TarWriter w = new TarWriter(0);
        w.finish();
        assertThrows(IllegalStateException.class, () -> w.addFile("a", new byte[0]));
    }

    private static String field(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) {
            end++;
        }
        return new String(h, off, end - off, StandardCharsets.US_ASCII);
    }
}
