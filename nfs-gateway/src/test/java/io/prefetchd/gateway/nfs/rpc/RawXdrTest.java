package io.prefetchd.gateway.nfs.rpc;

import io.prefetchd.gateway.nfs.xdr.XdrWriter;
import org.dcache.oncrpc4j.xdr.Xdr;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** Replies go into oncrpc4j's buffer byte for byte as they were written, READ payloads by reference where they can. */
class RawXdrTest {

    private static byte[] payload(int n) {
        byte[] data = new byte[n];
        for (int i = 0; i < n; i++) {
            data[i] = (byte) (i * 31 + 7);
        }
        return data;
    }

    /** What oncrpc4j would send: the buffer after encoding, from its start. */
    private static byte[] encode(XdrWriter w) {
        Xdr xdr = new Xdr(16);
        xdr.beginEncoding();
        new RawXdr.Outgoing(w).xdrEncode(xdr);
        xdr.endEncoding();
        byte[] out = new byte[xdr.asBuffer().remaining()];
        xdr.asBuffer().get(out);
        return out;
    }

    private static XdrWriter reply(byte[] data) {
        return new XdrWriter().writeInt(0).writeInt(25).writeInt(0).writeBool(true).writeOpaqueShared(data);
    }

    @Test
    void sharedPayloadEndingTheReply_sentByReference_asTheFlatBytes() {
        byte[] data = payload(64 * 1024);
        XdrWriter w = reply(data);
        Xdr xdr = new Xdr(16);
        xdr.beginEncoding();
        new RawXdr.Outgoing(w).xdrEncode(xdr);
        assertTrue(xdr.asBuffer().isComposite(), "the payload is appended, not copied in");
        assertArrayEquals(w.toByteArray(), encode(reply(data)));
    }

    @Test
    void sharedPayloadNeedingPadding_copied_asTheFlatBytes() {
        XdrWriter w = reply(payload(1001));
        assertArrayEquals(w.toByteArray(), encode(w));
    }

    @Test
    void sharedPayloadFollowedByMore_copied_asTheFlatBytes() {
        XdrWriter w = reply(payload(4096)).writeInt(9).writeInt(0);
        assertArrayEquals(w.toByteArray(), encode(w));
    }

    @Test
    void emptySharedPayload_encodesItsLengthOnly() {
        XdrWriter w = reply(new byte[0]);
        assertArrayEquals(w.toByteArray(), encode(w));
    }

    @Test
    void bytesWithoutPayloads_sentAsTheyAre() {
        byte[] xdr = Arrays.copyOf(payload(40), 40);
        assertArrayEquals(xdr, encode(new XdrWriter(8).writeFixedOpaque(xdr)));
        assertArrayEquals(xdr, encode(XdrWriter.of(xdr)));
    }
}
