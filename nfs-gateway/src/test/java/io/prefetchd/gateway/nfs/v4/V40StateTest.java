package io.prefetchd.gateway.nfs.v4;

import io.prefetchd.gateway.nfs.client.CompoundBuilder;
import io.prefetchd.gateway.nfs.client.CompoundReply;
import io.prefetchd.gateway.nfs.xdr.Attr;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;
import io.prefetchd.gateway.nfs.xdr.XdrException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static io.prefetchd.gateway.nfs.v4.NfsHarness.ok;
import static org.junit.jupiter.api.Assertions.*;

/** NFSv4.0: SETCLIENTID(_CONFIRM), RENEW, OPEN_CONFIRM and open-owner seqids, as libnfs and Linux use them. */
class V40StateTest {
    private final NfsHarness nfs = new NfsHarness();
    private static final byte[] OWNER = "open id:abcdefgh".getBytes(StandardCharsets.UTF_8);
    private long clientId;

    @BeforeEach
    void setclientid() {
        nfs.put("hello.txt", "hello\n");
        byte[] verifier = {1, 2, 3, 4, 5, 6, 7, 8};
        var s = ok(nfs.send(new CompoundBuilder(0).setclientid(verifier, "Linux NFSv4.0 host".getBytes())))
                .last().as(CompoundReply.Setclientid.class);
        clientId = s.clientId();
        ok(nfs.send(new CompoundBuilder(0).setclientidConfirm(clientId, s.confirm())));
    }

    @Test
    void setclientidAgain_withTheSameVerifier_keepsTheClientId() {
        byte[] verifier = {1, 2, 3, 4, 5, 6, 7, 8};
        var s = ok(nfs.send(new CompoundBuilder(0).setclientid(verifier, "Linux NFSv4.0 host".getBytes())))
                .last().as(CompoundReply.Setclientid.class);
        assertEquals(clientId, s.clientId());
        ok(nfs.send(new CompoundBuilder(0).setclientidConfirm(clientId, s.confirm())));
        assertEquals(NfsStatus.NFS4ERR_STALE_CLIENTID,
                nfs.send(new CompoundBuilder(0).setclientidConfirm(clientId, new byte[8])).status());
    }

    @Test
    void sessionOperations_areIllegalInVersion40() {
        CompoundReply r = nfs.send(new CompoundBuilder(0).sequence(new byte[16], 1, 0, 0, false));
        assertEquals(NfsStatus.NFS4ERR_OP_ILLEGAL, r.status());
    }

    @Test
    void firstOpenOfAnOwner_needsOpenConfirm_thenReadsAndCloses() {
        CompoundReply o = ok(nfs.send(new CompoundBuilder(0).putrootfh()
                .open(0, clientId, OWNER, Nfs4.OPEN4_SHARE_ACCESS_READ, 0, "hello.txt").getfh()));
        CompoundReply.Open open = o.op(Nfs4.OP_OPEN).as(CompoundReply.Open.class);
        assertNotEquals(0, open.rflags() & Nfs4.OPEN4_RESULT_CONFIRM);
        byte[] fh = o.op(Nfs4.OP_GETFH).as(byte[].class);
        StateId confirmed = ok(nfs.send(new CompoundBuilder(0).putfh(fh).openConfirm(open.stateId(), 1))).last()
                .as(StateId.class);
        assertEquals(open.stateId().seqid() + 1, confirmed.seqid());
        CompoundReply.Read r = ok(nfs.send(new CompoundBuilder(0).putfh(fh).read(confirmed, 0, 100))).last()
                .as(CompoundReply.Read.class);
        assertEquals("hello\n", new String(r.data(), StandardCharsets.UTF_8));
        assertEquals(NfsStatus.NFS4ERR_OLD_STATEID,
                nfs.send(new CompoundBuilder(0).putfh(fh).read(open.stateId(), 0, 100)).status());
        ok(nfs.send(new CompoundBuilder(0).putfh(fh).close(2, confirmed)));
        CompoundReply second = ok(nfs.send(new CompoundBuilder(0).putrootfh()
                .open(3, clientId, OWNER, Nfs4.OPEN4_SHARE_ACCESS_READ, 0, "hello.txt")));
        assertEquals(0, second.last().as(CompoundReply.Open.class).rflags() & Nfs4.OPEN4_RESULT_CONFIRM,
                "a confirmed owner needs no OPEN_CONFIRM");
    }

    @Test
    void retransmittedOpen_getsTheSameReply_andAWrongSeqidIsBadSeqid() throws XdrException {
        byte[] request = new CompoundBuilder(0).putrootfh()
                .open(5, clientId, OWNER, Nfs4.OPEN4_SHARE_ACCESS_READ, 0, "hello.txt").build();
        CompoundReply first = CompoundReply.decode(nfs.raw(request));
        CompoundReply again = CompoundReply.decode(nfs.raw(request));
        assertEquals(first.last().as(CompoundReply.Open.class), again.last().as(CompoundReply.Open.class));
        assertEquals(1, nfs.state.openCount());
        assertEquals(NfsStatus.NFS4ERR_BAD_SEQID, nfs.send(new CompoundBuilder(0).putrootfh()
                .open(9, clientId, OWNER, Nfs4.OPEN4_SHARE_ACCESS_READ, 0, "hello.txt")).status());
    }

    @Test
    void renewKeepsTheLease_silenceLosesIt() {
        nfs.clock.advance(Duration.ofSeconds(50));
        ok(nfs.send(new CompoundBuilder(0).renew(clientId)));
        nfs.clock.advance(Duration.ofSeconds(50));
        ok(nfs.send(new CompoundBuilder(0).renew(clientId)));
        nfs.clock.advance(Duration.ofSeconds(61));
        assertEquals(NfsStatus.NFS4ERR_STALE_CLIENTID, nfs.send(new CompoundBuilder(0).renew(clientId)).status());
    }

    @Test
    void unknownClient_isStaleClientid_asAfterAServerRestart() {
        assertEquals(NfsStatus.NFS4ERR_STALE_CLIENTID, nfs.send(new CompoundBuilder(0).putrootfh()
                .open(0, 12345L, OWNER, Nfs4.OPEN4_SHARE_ACCESS_READ, 0, "hello.txt")).status());
    }

    @Test
    void getattrWithoutClientState_works_asLibnfsWalksPaths() {
        CompoundReply r = ok(nfs.send(new CompoundBuilder(0).putrootfh().lookup("hello.txt").getattr(Attr.SIZE)
                .getfh()));
        assertEquals(6, r.op(Nfs4.OP_GETATTR).as(CompoundReply.Fattr.class).size());
    }

    @Test
    void version41Attributes_areNotSupportedIn40() {
        CompoundReply r = ok(nfs.send(new CompoundBuilder(0).putrootfh().getattr(Attr.SUPPATTR_EXCLCREAT, Attr.TYPE)));
        assertFalse(r.last().as(CompoundReply.Fattr.class).values().containsKey(Attr.SUPPATTR_EXCLCREAT));
    }
}
