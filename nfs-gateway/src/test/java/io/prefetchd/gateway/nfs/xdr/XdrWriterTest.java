package io.prefetchd.gateway.nfs.xdr;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Shared (spliced) payloads encode exactly as copied ones, through both flattening and a sink. */
class XdrWriterTest {

    private static XdrWriter build(boolean shared) {
        XdrWriter w = new XdrWriter(8).writeInt(7);
        byte[] data = {1, 2, 3, 4, 5};
        if (shared) {
            w.writeOpaqueShared(data);
        } else {
            w.writeOpaque(data);
        }
        return w.writeBool(true);
    }

    @Test
    void sharedOpaque_flattensLikeACopiedOne() {
        assertArrayEquals(build(false).toByteArray(), build(true).toByteArray());
        assertEquals(build(false).size(), build(true).size());
    }

    @Test
    void sharedOpaque_sentThroughAPaddingSink_matchesTheFlatBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        build(true).writeTo((b, off, len) -> {
            out.write(b, off, len);
            out.write(new byte[XdrReader.padded(len) - len], 0, XdrReader.padded(len) - len);
        });
        assertArrayEquals(build(false).toByteArray(), out.toByteArray());
    }

    @Test
    void truncate_dropsSplicesPastThePosition() {
        XdrWriter w = new XdrWriter().writeInt(1);
        int mark = w.position();
        w.writeOpaqueShared(new byte[100]);
        w.truncate(mark);
        assertEquals(4, w.size());
        assertArrayEquals(new byte[] {0, 0, 0, 1}, w.toByteArray());
    }

    @Test
    void patchInt_afterASplice_changesTheArrayPart() {
        XdrWriter w = new XdrWriter().writeInt(0);
        w.writeOpaqueShared(new byte[] {9});
        w.patchInt(0, 5);
        assertArrayEquals(new byte[] {0, 0, 0, 5, 0, 0, 0, 1, 9, 0, 0, 0}, w.toByteArray());
    }

    @Test
    void sharedOpaque_sentToATarget_comesWholeWithItsPlaceAndWhetherItEndsTheMessage() {
        byte[] first = {1, 2, 3, 4, 5};
        byte[] second = {6, 7, 8, 9};
        XdrWriter w = new XdrWriter(8).writeInt(7).writeOpaqueShared(first).writeInt(8).writeOpaqueShared(second);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<String> calls = new ArrayList<>();
        w.writeTo(new XdrWriter.Target() {
            @Override
            public void words(byte[] bytes, int offset, int length) {
                calls.add("words " + length);
                out.write(bytes, offset, length);
            }

            @Override
            public void opaque(byte[] data, boolean last) {
                calls.add("opaque " + data.length + (last ? " last" : ""));
                assertTrue(data == first || data == second, "the payload itself, not a copy");
                XdrWriter one = new XdrWriter().writeOpaque(data);
                out.write(one.buffer(), 0, one.position());
            }
        });
        assertEquals(List.of("words 4", "opaque 5", "words 4", "opaque 4 last"), calls);
        assertArrayEquals(w.toByteArray(), out.toByteArray());
    }

    @Test
    void sharedOpaque_followedByMore_isNotTheLast() {
        XdrWriter w = new XdrWriter().writeOpaqueShared(new byte[4]).writeInt(1);
        List<Boolean> last = new ArrayList<>();
        w.writeTo(new XdrWriter.Target() {
            @Override
            public void words(byte[] bytes, int offset, int length) {
            }

            @Override
            public void opaque(byte[] data, boolean isLast) {
                last.add(isLast);
            }
        });
        assertEquals(List.of(false), last);
    }

    @Test
    void of_holdsTheBytesAsWrittenWithoutCopying() {
        byte[] xdr = {0, 0, 0, 1, 0, 0, 0, 2};
        XdrWriter w = XdrWriter.of(xdr);
        assertEquals(8, w.size());
        assertSame(xdr, w.buffer());
        assertArrayEquals(xdr, w.toByteArray());
        w.writeInt(3);
        assertArrayEquals(new byte[] {0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3}, w.toByteArray());
        assertArrayEquals(new byte[] {0, 0, 0, 1, 0, 0, 0, 2}, xdr, "grows into a new array");
    }

    @Test
    void of_bytesThatAreNotWholeWords_refused() {
        assertThrows(IllegalArgumentException.class, () -> XdrWriter.of(new byte[6]));
    }
}
