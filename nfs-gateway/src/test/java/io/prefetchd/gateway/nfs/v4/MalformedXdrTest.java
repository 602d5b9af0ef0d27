package io.prefetchd.gateway.nfs.v4;

import io.prefetchd.gateway.nfs.client.CompoundBuilder;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.XdrException;
import io.prefetchd.gateway.nfs.xdr.XdrWriter;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** Bytes that are not the XDR the RFC defines are refused (GARBAGE_ARGS), never allocated or half-executed. */
class MalformedXdrTest {
    private final NfsHarness nfs = new NfsHarness();

    @Test
    void everyTruncationOfAValidCompound_isGarbage() throws XdrException {
        nfs.put("f", "x");
        byte[] full = new CompoundBuilder(0).putrootfh().lookup("f").getattr(1, 4).read(
                io.prefetchd.gateway.nfs.xdr.StateId.ANONYMOUS, 0, 10).build();
        nfs.raw(full);
        for (int len = 0; len < full.length; len += 4) {
            byte[] cut = Arrays.copyOf(full, len);
            assertThrows(XdrException.class, () -> nfs.raw(cut), "truncated to " + len + " bytes");
        }
    }

    @Test
    void hugeLengthField_isRefusedWithoutAllocating() {
        byte[] req = new XdrWriter().writeInt(0).writeInt(0).writeInt(1).writeInt(Nfs4.OP_LOOKUP)
                .writeInt(0x7fffffff).toByteArray();
        XdrException e = assertThrows(XdrException.class, () -> nfs.raw(req));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        byte[] tag = new XdrWriter().writeInt(0x80000000).toByteArray();
        assertThrows(XdrException.class, () -> nfs.raw(tag));
    }

    @Test
    void hugeOperationCount_isRefused() {
        byte[] req = new XdrWriter().writeInt(0).writeInt(1).writeInt(1 << 30).toByteArray();
        assertThrows(XdrException.class, () -> nfs.raw(req));
    }

    @Test
    void badBoolAndBadUnionArm_areGarbage() {
        byte[] badBool = new XdrWriter().writeInt(0).writeInt(1).writeInt(1).writeInt(Nfs4.OP_RECLAIM_COMPLETE)
                .writeInt(7).toByteArray();
        assertThrows(XdrException.class, () -> nfs.raw(badBool));
        byte[] badClaim = new CompoundBuilder(0).raw(Nfs4.OP_OPEN, 0, 1, 0, 0, 0, 0, 0, 99).build();
        assertThrows(XdrException.class, () -> nfs.raw(badClaim));
    }
}
