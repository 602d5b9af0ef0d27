package io.prefetchd.gateway.nfs.v4;

import io.prefetchd.gateway.nfs.client.CompoundBuilder;
import io.prefetchd.gateway.nfs.client.CompoundReply;
import io.prefetchd.gateway.nfs.xdr.Attr;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.XdrException;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.prefetchd.gateway.nfs.v4.NfsHarness.ok;
import static org.junit.jupiter.api.Assertions.*;

/** NFSv4.1 client ID and session state: EXCHANGE_ID, CREATE_SESSION, SEQUENCE slots and replay, leases. */
class SessionAndMountTest {
    private final NfsHarness nfs = new NfsHarness();

    @Test
    void minorVersion2_answersMinorVersMismatch_withNoResults() {
        CompoundReply r = nfs.send(new CompoundBuilder(2).exchangeId(new byte[8], "x".getBytes(), 0));
        assertEquals(NfsStatus.NFS4ERR_MINOR_VERS_MISMATCH, r.status());
        assertTrue(r.results().isEmpty());
    }

    @Test
    void exchangeIdTwice_beforeCreateSession_replacesTheUnconfirmedRecord() {
        byte[] owner = "Linux NFSv4.1 host".getBytes();
        var first = nfs.send(new CompoundBuilder(1).exchangeId(new byte[8], owner, 0)).last()
                .as(CompoundReply.ExchangeId.class);
        var second = nfs.send(new CompoundBuilder(1).exchangeId(new byte[8], owner, 0)).last()
                .as(CompoundReply.ExchangeId.class);
        assertNotEquals(first.clientId(), second.clientId());
        assertEquals(0, second.flags() & Nfs4.EXCHGID4_FLAG_CONFIRMED_R);
        assertEquals(Nfs4.EXCHGID4_FLAG_USE_NON_PNFS, second.flags() & Nfs4.EXCHGID4_FLAG_MASK_PNFS);
        CompoundReply stale = nfs.send(new CompoundBuilder(1).createSession(first.clientId(), 1, 8, 4, 1 << 20));
        assertEquals(NfsStatus.NFS4ERR_STALE_CLIENTID, stale.status());
        ok(nfs.send(new CompoundBuilder(1).createSession(second.clientId(), second.sequenceId(), 8, 4, 1 << 20)));
    }

    @Test
    void createSession_capsChannelAttributes_andConfirmsTheClient() {
        var e = nfs.send(new CompoundBuilder(1).exchangeId(new byte[8], "c".getBytes(), 0)).last()
                .as(CompoundReply.ExchangeId.class);
        var s = ok(nfs.send(new CompoundBuilder(1).createSession(e.clientId(), e.sequenceId(), 100, 1000, 1 << 24)))
                .last().as(CompoundReply.CreateSession.class);
        assertEquals(NfsLimits.defaults().maxOperations(), s.maxOperations());
        assertEquals(NfsLimits.defaults().maxRequests(), s.maxRequests());
        assertEquals(NfsLimits.defaults().maxResponseSize(), s.maxResponseSize());
        var again = nfs.send(new CompoundBuilder(1).exchangeId(new byte[8], "c".getBytes(), 0)).last()
                .as(CompoundReply.ExchangeId.class);
        assertEquals(e.clientId(), again.clientId());
        assertNotEquals(0, again.flags() & Nfs4.EXCHGID4_FLAG_CONFIRMED_R);
    }

    @Test
    void createSession_retransmitted_returnsTheSameSession() {
        var e = nfs.send(new CompoundBuilder(1).exchangeId(new byte[8], "c".getBytes(), 0)).last()
                .as(CompoundReply.ExchangeId.class);
        var a = ok(nfs.send(new CompoundBuilder(1).createSession(e.clientId(), e.sequenceId(), 8, 4, 1 << 20)))
                .last().as(CompoundReply.CreateSession.class);
        var b = ok(nfs.send(new CompoundBuilder(1).createSession(e.clientId(), e.sequenceId(), 8, 4, 1 << 20)))
                .last().as(CompoundReply.CreateSession.class);
        assertArrayEquals(a.sessionId(), b.sessionId());
        assertEquals(NfsStatus.NFS4ERR_SEQ_MISORDERED,
                nfs.send(new CompoundBuilder(1).createSession(e.clientId(), e.sequenceId() + 5, 8, 4, 1 << 20))
                        .status());
    }

    @Test
    void operationWithoutSequence_isNotInSession() {
        nfs.mount41();
        CompoundReply r = nfs.send(new CompoundBuilder(1).putrootfh().getfh());
        assertEquals(NfsStatus.NFS4ERR_OP_NOT_IN_SESSION, r.status());
        assertEquals(1, r.results().size());
    }

    @Test
    void sequenceNotFirst_isSequencePos() {
        nfs.mount41();
        CompoundReply r = nfs.send(nfs.next41(false).putrootfh().sequence(nfs.sessionId, 99, 1, 1, false));
        assertEquals(NfsStatus.NFS4ERR_SEQUENCE_POS, r.status());
        assertEquals(3, r.results().size());
    }

    @Test
    void exchangeIdWithOtherOps_isNotOnlyOp() {
        CompoundReply r = nfs.send(new CompoundBuilder(1).exchangeId(new byte[8], "x".getBytes(), 0).putrootfh());
        assertEquals(NfsStatus.NFS4ERR_NOT_ONLY_OP, r.status());
    }

    @Test
    void retransmissionOnSameSlotAndSeqid_getsTheCachedReplyByteForByte() throws XdrException {
        nfs.mount41();
        byte[] request = nfs.next41(true).putrootfh().getfh().getattr(Attr.TYPE, Attr.CHANGE).build();
        byte[] first = nfs.raw(request);
        nfs.store.put("new-file", new byte[3]);   // the directory changes; the replay must not
        byte[] replay = nfs.raw(request);
        assertArrayEquals(first, replay);
    }

    @Test
    void retransmissionOfUncachedReply_isRetryUncachedRep() throws XdrException {
        nfs.mount41();
        byte[] request = nfs.next41(false).putrootfh().build();
        nfs.raw(request);
        CompoundReply r = CompoundReply.decode(nfs.raw(request));
        assertEquals(NfsStatus.NFS4ERR_RETRY_UNCACHED_REP, r.status());
    }

    @Test
    void seqidSkippingAhead_isMisordered_andTheSlotStaysUsable() {
        nfs.mount41();
        CompoundReply r = nfs.send(new CompoundBuilder(1).sequence(nfs.sessionId, nfs.seq + 2, 0, 0, false));
        assertEquals(NfsStatus.NFS4ERR_SEQ_MISORDERED, r.status());
        ok(nfs.call41(b -> b.putrootfh()));
    }

    @Test
    void slotBeyondTheTable_isBadSlot() {
        nfs.mount41();
        CompoundReply r = nfs.send(new CompoundBuilder(1).sequence(nfs.sessionId, 1, 4, 4, false));
        assertEquals(NfsStatus.NFS4ERR_BADSLOT, r.status());
    }

    @Test
    void sequence_reportsTheSlotTable() {
        nfs.mount41();
        var s = ok(nfs.call41(b -> b)).last().as(CompoundReply.Sequence.class);
        assertEquals(3, s.highestSlotId());
        assertEquals(0, s.slotId());
    }

    @Test
    void tooManyOperations_forTheSession() {
        nfs.mount41();
        CompoundBuilder b = nfs.next41(false);
        for (int i = 0; i < 8; i++) {
            b.putrootfh();
        }
        assertEquals(NfsStatus.NFS4ERR_TOO_MANY_OPS, nfs.send(b).status());
    }

    @Test
    void sequenceRenewsTheLease_andAnExpiredLeaseLosesTheSession() {
        nfs.mount41();
        nfs.clock.advance(Duration.ofSeconds(50));
        ok(nfs.call41(b -> b.putrootfh()));
        nfs.clock.advance(Duration.ofSeconds(50));
        ok(nfs.call41(b -> b.putrootfh()));
        nfs.clock.advance(NfsHarness.LEASE.plusSeconds(1));
        assertEquals(1, nfs.state.expireClients());
        assertEquals(NfsStatus.NFS4ERR_BADSESSION, nfs.call41(b -> b.putrootfh()).status());
    }

    @Test
    void destroySessionThenClientId_asAtUnmount() {
        nfs.mount41();
        assertEquals(NfsStatus.NFS4ERR_CLIENTID_BUSY,
                nfs.send(new CompoundBuilder(1).destroyClientId(nfs.clientId)).status());
        ok(nfs.send(new CompoundBuilder(1).destroySession(nfs.sessionId)));
        ok(nfs.send(new CompoundBuilder(1).destroyClientId(nfs.clientId)));
        assertEquals(0, nfs.state.clientCount());
        assertEquals(NfsStatus.NFS4ERR_BADSESSION, nfs.call41(b -> b.putrootfh()).status());
    }

    @Test
    void reclaimCompleteTwice_isCompleteAlready() {
        nfs.mount41();
        assertEquals(NfsStatus.NFS4ERR_COMPLETE_ALREADY, nfs.call41(b -> b.reclaimComplete(false)).status());
    }

    @Test
    void bindConnToSession_answersTheDirection() {
        nfs.mount41();
        CompoundReply r = ok(nfs.send(new CompoundBuilder(1).bindConnToSession(nfs.sessionId, Nfs4.CDFC4_FORE_OR_BOTH)));
        assertEquals(Nfs4.CDFS4_BOTH, r.last().as(Integer.class));
        assertEquals(NfsStatus.NFS4ERR_BADSESSION,
                nfs.send(new CompoundBuilder(1).bindConnToSession(new byte[16], Nfs4.CDFC4_FORE)).status());
    }

    @Test
    void secinfoNoName_answersAuthSys_andConsumesTheHandle() {
        nfs.mount41();
        CompoundReply r = ok(nfs.call41(b -> b.putrootfh().secinfoNoName(Nfs4.SECINFO_STYLE4_CURRENT_FH)));
        assertArrayEquals(new int[] {Nfs4.AUTH_SYS}, r.last().as(int[].class));
        assertEquals(NfsStatus.NFS4ERR_NOFILEHANDLE,
                nfs.call41(b -> b.putrootfh().secinfoNoName(Nfs4.SECINFO_STYLE4_CURRENT_FH).getfh()).status());
    }
}
