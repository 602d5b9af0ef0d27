package io.prefetchd.gateway.nfs.xdr;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;

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
}
