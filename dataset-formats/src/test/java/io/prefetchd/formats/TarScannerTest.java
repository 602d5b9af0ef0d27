package io.prefetchd.formats;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TarScannerTest {

    @Test
    void scan_ustarPrefixedName_joinsPrefixAndName() throws Exception {
        String name = "a".repeat(60) + "/" + "b".repeat(60) + "/c.jpg";
        byte[] tar = new TarFixture().file(name, "x".getBytes(UTF_8)).finish();
        assertEquals(List.of(name), List.copyOf(Fixtures.contents("t.tar", tar).keySet()));
    }

    @Test
    void scan_gnuLongName_usesTheLongNameAndStartsAtTheLongLinkHeader() throws Exception {
        String name = "dir/" + "n".repeat(200) + ".jpg";
        byte[] tar = new TarFixture().file("first.txt", new byte[10]).gnuLongName(name, "data".getBytes(UTF_8))
                .finish();
        Fixtures.Member m = Fixtures.members("t.tar", tar).get(1);
        assertEquals(name, m.name());
        assertEquals(1024, m.start());
        assertEquals(1024 + 512 + 512 + 512, m.dataStart()); // L header, 205-byte name in one block, header
        assertArrayEquals("data".getBytes(UTF_8), m.data());
    }

    @Test
    void scan_paxPathAndSize_overrideTheHeader() throws Exception {
        String name = "dir/" + "é".repeat(120) + ".cls";
        byte[] data = Fixtures.bytes(1, 700);
        Map<String, String> rec = new LinkedHashMap<>();
        rec.put("path", name);
        rec.put("size", "700");
        // the ustar size field says 700 too; pax wins either way, checked by the data read back
        byte[] tar = new TarFixture().pax("short", data, rec).finish();
        Fixtures.Member m = Fixtures.members("t.tar", tar).get(0);
        assertEquals(name, m.name());
        assertEquals(0, m.start());
        assertArrayEquals(data, m.data());
    }

    @Test
    void scan_globalPaxPath_appliesToLaterEntriesUntilOverridden() throws Exception {
        byte[] tar = new TarFixture().globalPax(Map.of("comment", "made by a test"))
                .file("a.txt", new byte[3]).finish();
        Fixtures.Member m = Fixtures.members("t.tar", tar).get(0);
        assertEquals("a.txt", m.name());
        assertEquals(1024, m.start()); // the global header belongs to no entry
    }

    @Test
    void scan_base256Size_isDecoded() throws Exception {
        byte[] data = Fixtures.bytes(2, 1500);
        byte[] tar = new TarFixture().base256("big.bin", data).finish();
        assertArrayEquals(data, Fixtures.members("t.tar", tar).get(0).data());
    }

    @Test
    void scan_missingEndOfArchiveBlocks_endsAtTheLastMember() throws Exception {
        byte[] tar = new TarFixture().file("a.txt", new byte[3]).file("b.txt", new byte[5]).bytesWithoutEnd();
        assertEquals(2, Fixtures.members("t.tar", tar).size());
    }

    @Test
    void scan_truncatedData_namesTheMemberAndOffset() {
        byte[] full = new TarFixture().file("a.txt", new byte[3]).file("b.bin", new byte[3000]).finish();
        byte[] cut = Arrays.copyOf(full, 1024 + 512 + 1000);
        FormatException e = assertThrows(FormatException.class, () -> Fixtures.members("s.tar", cut));
        assertEquals("s.tar", e.object());
        assertEquals(1024, e.offset());
        assertTrue(e.getMessage().contains("truncated tar") && e.getMessage().contains("b.bin"), e.getMessage());
    }

    @Test
    void scan_truncatedHeader_isReportedAtTheHeader() {
        byte[] full = new TarFixture().file("a.txt", new byte[3]).file("b.bin", new byte[3]).finish();
        byte[] cut = Arrays.copyOf(full, 1024 + 100);
        FormatException e = assertThrows(FormatException.class, () -> Fixtures.members("s.tar", cut));
        assertEquals(1024, e.offset());
        assertTrue(e.problem().startsWith("truncated tar"), e.problem());
    }

    @Test
    void scan_badChecksum_namesTheHeaderOffset() {
        byte[] tar = new TarFixture().file("a.txt", new byte[3]).file("b.txt", new byte[3]).finish();
        tar[1024 + 10] ^= 0x01; // flip a bit in the second header's name
        FormatException e = assertThrows(FormatException.class, () -> Fixtures.members("s.tar", tar));
        assertEquals(1024, e.offset());
        assertTrue(e.problem().startsWith("bad tar header checksum"), e.problem());
    }

    @Test
    void scan_nonOctalSize_isAFormatError() {
        byte[] h = TarFixture.headerBlock("a.txt", "", 3, '0', true, false);
        h[124] = 'z';
        byte[] fixed = TarFixture.headerBlock("a.txt", "", 3, '0', true, false);
        // recompute the checksum for the damaged header so that only the size field is wrong
        long sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : h[i] & 0xff;
        }
        byte[] c = String.format("%06o", sum).getBytes(UTF_8);
        System.arraycopy(c, 0, h, 148, 6);
        byte[] tar = new TarFixture().raw(h).raw(new byte[512]).finish();
        FormatException e = assertThrows(FormatException.class, () -> Fixtures.members("s.tar", tar));
        assertTrue(e.problem().contains("size field"), e.problem() + " " + fixed.length);
    }

    @Test
    void scan_hugeLongNameClaim_isRefusedBeforeAllocating() {
        byte[] h = TarFixture.headerBlock("././@LongLink", "", (1L << 33) - 1, 'L', false, false);
        byte[] tar = new TarFixture().raw(h).finish();
        FormatException e = assertThrows(FormatException.class,
                () -> new TarScanner("s.tar", 1L << 41, new ByteArrayInputStream(tar)).scan((n, t, s, d, z) -> { }));
        assertEquals(0, e.offset());
    }

    @Test
    void scan_directoriesAndLinks_carryNoData() throws Exception {
        byte[] tar = new TarFixture().dir("d/").file("d/a.txt", new byte[3]).finish();
        List<Fixtures.Member> m = Fixtures.members("t.tar", tar);
        assertEquals('5', m.get(0).type());
        assertEquals(0, m.get(0).size());
        assertEquals(512, m.get(1).start());
    }
}
