package io.prefetchd.gateway.nfs.v4;

import io.prefetchd.gateway.nfs.client.CompoundBuilder;
import io.prefetchd.gateway.nfs.client.CompoundReply;
import io.prefetchd.gateway.nfs.xdr.Attr;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;
import io.prefetchd.gateway.nfs.xdr.XdrException;
import io.prefetchd.gateway.nfs.xdr.XdrWriter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static io.prefetchd.gateway.nfs.v4.NfsHarness.ok;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Operation results a conformance suite checks beyond the happy path: SETATTR on a read-only export, attribute
 * bitmaps, component names, READLINK and oversized COMPOUNDs.
 */
class OperationConformanceTest {
    private final NfsHarness nfs = new NfsHarness();

    @BeforeEach
    void mount() {
        nfs.put("hello.txt", "hello\n").put("dir/a.bin", "aaaa");
        nfs.mount41();
    }

    @Test
    void setattr_withoutCurrentFilehandle_isNofilehandle_andCarriesAnEmptyAttrsset() {
        CompoundReply r = nfs.call41(b -> b.setattr(StateId.ANONYMOUS, CompoundBuilder.bitmap(Attr.MODE),
                new XdrWriter().writeInt(0644).toByteArray()));
        assertEquals(NfsStatus.NFS4ERR_NOFILEHANDLE, r.status());
        assertArrayEquals(new int[0], r.last().as(int[].class));
    }

    @Test
    void setattr_onAFile_isRofs_andCarriesAnEmptyAttrsset() throws XdrException {
        byte[] request = nfs.next41(false).putrootfh().lookup("hello.txt")
                .setattr(StateId.ANONYMOUS, CompoundBuilder.bitmap(Attr.SIZE), new XdrWriter().writeLong(0)
                        .toByteArray()).build();
        byte[] reply = nfs.raw(request);
        CompoundReply r = CompoundReply.decode(reply);
        assertEquals(NfsStatus.NFS4ERR_ROFS, r.status());
        assertEquals(Nfs4.OP_SETATTR, r.last().opcode());
        assertArrayEquals(new int[0], r.last().as(int[].class));
        // the reply ends with: opcode, status, attrsset<> = {0 words}
        int[] tail = words(Arrays.copyOfRange(reply, reply.length - 12, reply.length));
        assertArrayEquals(new int[] {Nfs4.OP_SETATTR, NfsStatus.NFS4ERR_ROFS.code(), 0}, tail);
    }

    @Test
    void getattr_bitmapLongerThanEightWords_isAccepted_andUnknownBitsIgnored() {
        int[] args = new int[13];
        args[0] = 12;   // bitmap4 of 12 words: TYPE and SIZE, and every bit of word 11
        args[1] = (1 << Attr.TYPE) | (1 << Attr.SIZE);
        args[12] = 0xffffffff;
        CompoundReply r = nfs.send(nfs.next41(false).putrootfh().lookup("hello.txt").raw(Nfs4.OP_GETATTR, args));
        assertEquals(NfsStatus.NFS4_OK, r.status(), r.toString());
        CompoundReply.Fattr attrs = r.op(Nfs4.OP_GETATTR).as(CompoundReply.Fattr.class);
        assertEquals(6, attrs.size());
        assertEquals(Nfs4.NF4REG, attrs.type());
        assertEquals(2, attrs.values().size());
    }

    @Test
    void getattr_ofWriteOnlyAttributes_isInval() {
        assertEquals(NfsStatus.NFS4ERR_INVAL,
                nfs.call41(b -> b.putrootfh().getattr(Attr.TYPE, Attr.TIME_ACCESS_SET)).status());
        assertEquals(NfsStatus.NFS4ERR_INVAL,
                nfs.call41(b -> b.putrootfh().getattr(Attr.TIME_MODIFY_SET)).status());
    }

    @Test
    void lookup_ofANameThatIsNotUtf8_isInval() {
        CompoundReply r = nfs.send(nfs.next41(false).putrootfh().raw(Nfs4.OP_LOOKUP, 2, 0xfffe0000));
        assertEquals(NfsStatus.NFS4ERR_INVAL, r.status());
        assertEquals(Nfs4.OP_LOOKUP, r.last().opcode());
    }

    @Test
    void lookup_ofA5000ByteName_isNametoolong() {
        CompoundReply r = nfs.call41(b -> b.putrootfh().lookup("x".repeat(5000)));
        assertEquals(NfsStatus.NFS4ERR_NAMETOOLONG, r.status());
        assertEquals(NfsStatus.NFS4ERR_NAMETOOLONG,
                nfs.call41(b -> b.putrootfh().lookup("é".repeat(128))).status());   // 256 bytes
        assertEquals(NfsStatus.NFS4ERR_NOENT, nfs.call41(b -> b.putrootfh().lookup("y".repeat(255))).status());
    }

    @Test
    void readlink_ofADirectory_isInval() {
        assertEquals(NfsStatus.NFS4ERR_INVAL, nfs.call41(b -> b.putrootfh().lookup("dir").readlink()).status());
        assertEquals(NfsStatus.NFS4ERR_INVAL, nfs.call41(b -> b.putrootfh().readlink()).status());
    }

    @Test
    void compoundOfMoreThan128Operations_inASession_isTooManyOps() {
        CompoundBuilder b = nfs.next41(false);
        for (int i = 0; i < 200; i++) {
            b.putrootfh();
        }
        CompoundReply r = nfs.send(b);
        assertEquals(NfsStatus.NFS4ERR_TOO_MANY_OPS, r.status());
        assertEquals(1, r.results().size());
        assertEquals(Nfs4.OP_SEQUENCE, r.last().opcode());
        nfs.seq--;   // the slot was not used
        ok(nfs.call41(CompoundBuilder::putrootfh));
    }

    @Test
    void compoundOfMoreThan128Operations_in40_isResource() {
        CompoundBuilder b = new CompoundBuilder(0);
        for (int i = 0; i < 129; i++) {
            b.putrootfh();
        }
        CompoundReply r = nfs.send(b);
        assertEquals(NfsStatus.NFS4ERR_RESOURCE, r.status());
        assertTrue(r.results().isEmpty());
    }

    private static int[] words(byte[] b) {
        int[] out = new int[b.length / 4];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((b[4 * i] & 0xff) << 24) | ((b[4 * i + 1] & 0xff) << 16) | ((b[4 * i + 2] & 0xff) << 8)
                    | (b[4 * i + 3] & 0xff);
        }
        return out;
    }
}
