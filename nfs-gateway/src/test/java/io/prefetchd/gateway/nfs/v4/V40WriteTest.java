package io.prefetchd.gateway.nfs.v4;

import io.prefetchd.gateway.nfs.client.CompoundBuilder;
import io.prefetchd.gateway.nfs.client.CompoundBuilder.Sattr;
import io.prefetchd.gateway.nfs.client.CompoundReply;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;
import io.prefetchd.gateway.nfs.xdr.XdrException;
import io.prefetchd.gateway.testing.ManualClock;
import io.prefetchd.gateway.testing.MemoryFileSystem;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.prefetchd.gateway.nfs.v4.NfsHarness.ok;
import static io.prefetchd.gateway.nfs.xdr.Nfs4.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The write path in NFSv4.0, as a Linux 4.0 mount drives it: OPEN with create ordered by the open-owner's seqid
 * (a retransmission creates nothing twice), OPEN_CONFIRM, WRITE, COMMIT, CLOSE, and EXCLUSIVE4 with its verifier.
 */
class V40WriteTest {
    private static final byte[] OWNER = "open id:0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private final MemoryFileSystem fs = new MemoryFileSystem(new ManualClock(), WriteOperationsTest.VERIFIER);
    private final NfsHarness nfs = WriteOperationsTest.harness(fs, "* rw no-squash");
    private long clientId;
    private int seqid;

    @BeforeEach
    void setclientid() {
        nfs.caller = WriteOperationsTest.user(1000, 100);
        var s = ok(nfs.send(new CompoundBuilder(0).setclientid(new byte[8], "Linux NFSv4.0 host".getBytes())))
                .last().as(CompoundReply.Setclientid.class);
        clientId = s.clientId();
        ok(nfs.send(new CompoundBuilder(0).setclientidConfirm(clientId, s.confirm())));
    }

    private CompoundBuilder createRequest(int mode, long verifier, String name) {
        return new CompoundBuilder(0).putrootfh().openCreate(seqid, clientId, OWNER, OPEN4_SHARE_ACCESS_BOTH, mode,
                new Sattr().mode(0644), verifier, name).getfh();
    }

    /** OPEN (create) and OPEN_CONFIRM: the confirmed stateid and the file's handle. */
    private Object[] createAndConfirm(String name) {
        CompoundReply r = ok(nfs.send(createRequest(UNCHECKED4, 0, name)));
        seqid++;
        CompoundReply.Open open = r.op(OP_OPEN).as(CompoundReply.Open.class);
        byte[] fh = r.op(OP_GETFH).as(byte[].class);
        assertNotEquals(0, open.rflags() & OPEN4_RESULT_CONFIRM);
        StateId confirmed = ok(nfs.send(new CompoundBuilder(0).putfh(fh).openConfirm(open.stateId(), seqid++)))
                .last().as(StateId.class);
        return new Object[] {confirmed, fh};
    }

    @Test
    void createWriteCommitClose_inVersion40() {
        Object[] f = createAndConfirm("log.txt");
        StateId sid = (StateId) f[0];
        byte[] fh = (byte[]) f[1];
        CompoundReply.Write w = ok(nfs.send(new CompoundBuilder(0).putfh(fh).write(sid, 0, UNSTABLE4,
                "line 1\n".getBytes()))).last().as(CompoundReply.Write.class);
        assertEquals(7, w.count());
        assertEquals(WriteOperationsTest.VERIFIER, w.verifier());
        assertEquals(WriteOperationsTest.VERIFIER,
                ok(nfs.send(new CompoundBuilder(0).putfh(fh).commit(0, 0))).last().as(Long.class));
        ok(nfs.send(new CompoundBuilder(0).putfh(fh).close(seqid++, sid)));
        assertEquals("line 1\n", new String(fs.content("log.txt"), StandardCharsets.UTF_8));
        assertEquals(List.of("log.txt"), fs.closed);
    }

    @Test
    void retransmittedCreate_getsTheSameReply_andCreatesNothingTwice() throws XdrException {
        byte[] request = createRequest(GUARDED4, 0, "once").build();
        CompoundReply first = CompoundReply.decode(nfs.raw(request));
        CompoundReply again = CompoundReply.decode(nfs.raw(request));
        assertEquals(NfsStatus.NFS4_OK, first.status());
        assertEquals(NfsStatus.NFS4_OK, again.status(), "a GUARDED create replayed, not run again into EXIST");
        assertEquals(first.op(OP_OPEN).as(CompoundReply.Open.class), again.op(OP_OPEN).as(CompoundReply.Open.class));
    }

    @Test
    void exclusive4_keepsTheVerifier_andExclusive41IsInvalIn40() {
        ok(nfs.send(new CompoundBuilder(0).putrootfh().openCreate(seqid++, clientId, OWNER,
                OPEN4_SHARE_ACCESS_WRITE, EXCLUSIVE4, null, 99, "x")));
        assertEquals(NfsStatus.NFS4ERR_EXIST, nfs.send(new CompoundBuilder(0).putrootfh().openCreate(seqid++,
                clientId, OWNER, OPEN4_SHARE_ACCESS_WRITE, EXCLUSIVE4, null, 98, "x")).status());
        assertEquals(NfsStatus.NFS4ERR_INVAL, nfs.send(new CompoundBuilder(0).putrootfh().openCreate(seqid++,
                clientId, OWNER, OPEN4_SHARE_ACCESS_WRITE, EXCLUSIVE4_1, new Sattr(), 1, "y")).status());
    }

    @Test
    void removeAndRename_inVersion40() {
        fs.put("a", "1").put("b", "2");
        nfs.caller = WriteOperationsTest.user(0, 0);
        ok(nfs.send(new CompoundBuilder(0).putrootfh().savefh().rename("a", "b")));
        assertEquals("1", new String(fs.content("b"), StandardCharsets.UTF_8));
        ok(nfs.send(new CompoundBuilder(0).putrootfh().remove("b")));
        assertFalse(fs.exists("b"));
    }
}
