package io.prefetchd.gateway.nfs.v4;

import io.prefetchd.gateway.nfs.client.CompoundBuilder;
import io.prefetchd.gateway.nfs.client.CompoundReply;
import io.prefetchd.gateway.nfs.xdr.Args.ChannelAttrs;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;
import org.junit.jupiter.api.Test;

import static io.prefetchd.gateway.nfs.v4.NfsHarness.ok;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Client ID ownership by principal (RFC 8881 section 18.35.4, 18.36.4; RFC 7530 section 16.33), flag and channel
 * checks of EXCHANGE_ID and CREATE_SESSION, and the session's negotiated sizes enforced (section 18.46.3).
 */
class ClientIdAndSessionRulesTest {
    private static final CompoundContext.Caller ROOT = new CompoundContext.Caller(0, 0, "node-a", "10.0.0.1:700");
    private static final CompoundContext.Caller USER = new CompoundContext.Caller(1000, 1000, "node-a", "10.0.0.1:701");
    private static final CompoundContext.Caller OTHER_HOST = new CompoundContext.Caller(0, 0, "node-b", "10.0.0.2:700");
    private static final byte[] OWNER = "Linux NFSv4.1 node-a".getBytes();
    private static final byte[] VERIFIER = {1, 2, 3, 4, 5, 6, 7, 8};
    /** The channel attributes a Linux 6.1 client asks for in CREATE_SESSION (seen in packet captures). */
    private static final ChannelAttrs LINUX_BACK = new ChannelAttrs(0, 4096, 4096, 0, 2, 16, new int[0]);
    private static final ChannelAttrs LINUX_FORE = new ChannelAttrs(0, 1049620, 1049480, 7584, 8, 64, new int[0]);

    private final NfsHarness nfs = new NfsHarness();

    private CompoundReply.ExchangeId exchangeId(CompoundContext.Caller caller, int flags) {
        return ok(nfs.send(new CompoundBuilder(1).exchangeId(VERIFIER, OWNER, flags), caller)).last()
                .as(CompoundReply.ExchangeId.class);
    }

    private byte[] createSession(CompoundContext.Caller caller, CompoundReply.ExchangeId e, ChannelAttrs fore) {
        return ok(nfs.send(new CompoundBuilder(1).createSession(e.clientId(), e.sequenceId(),
                Nfs4.CREATE_SESSION4_FLAG_CONN_BACK_CHAN, fore, LINUX_BACK), caller)).last()
                .as(CompoundReply.CreateSession.class).sessionId();
    }

    // ---------------------------------------------------------------- principals

    @Test
    void exchangeId_sameOwnerFromAnotherPrincipal_whileTheClientHasASession_isClidInuse() {
        createSession(ROOT, exchangeId(ROOT, 0), LINUX_FORE);
        CompoundReply r = nfs.send(new CompoundBuilder(1).exchangeId(VERIFIER, OWNER, 0), USER);
        assertEquals(NfsStatus.NFS4ERR_CLID_INUSE, r.status());
        assertEquals(NfsStatus.NFS4ERR_CLID_INUSE,
                nfs.send(new CompoundBuilder(1).exchangeId(VERIFIER, OWNER, 0), OTHER_HOST).status());
    }

    @Test
    void exchangeId_sameOwnerFromAnotherPrincipal_withoutState_neverGetsTheSameClientId() {
        CompoundReply.ExchangeId mine = exchangeId(ROOT, 0);
        byte[] session = createSession(ROOT, mine, LINUX_FORE);
        ok(nfs.send(new CompoundBuilder(1).destroySession(session), ROOT));
        CompoundReply.ExchangeId theirs = exchangeId(USER, 0);
        assertNotEquals(mine.clientId(), theirs.clientId());
        assertEquals(0, theirs.flags() & Nfs4.EXCHGID4_FLAG_CONFIRMED_R);
    }

    @Test
    void exchangeId_sameOwnerSamePrincipal_getsItsConfirmedClientIdBack() {
        CompoundReply.ExchangeId first = exchangeId(ROOT, 0);
        createSession(ROOT, first, LINUX_FORE);
        CompoundReply.ExchangeId again = exchangeId(ROOT, 0);
        assertEquals(first.clientId(), again.clientId());
        assertNotEquals(0, again.flags() & Nfs4.EXCHGID4_FLAG_CONFIRMED_R);
    }

    @Test
    void exchangeId_updateFromAnotherPrincipal_isPerm_andWithoutAConfirmedRecord_isNoent() {
        int update = Nfs4.EXCHGID4_FLAG_UPD_CONFIRMED_REC_A;
        assertEquals(NfsStatus.NFS4ERR_NOENT,
                nfs.send(new CompoundBuilder(1).exchangeId(VERIFIER, OWNER, update), ROOT).status());
        createSession(ROOT, exchangeId(ROOT, 0), LINUX_FORE);
        assertEquals(NfsStatus.NFS4ERR_PERM,
                nfs.send(new CompoundBuilder(1).exchangeId(VERIFIER, OWNER, update), USER).status());
        assertEquals(NfsStatus.NFS4ERR_NOT_SAME,
                nfs.send(new CompoundBuilder(1).exchangeId(new byte[8], OWNER, update), ROOT).status());
        ok(nfs.send(new CompoundBuilder(1).exchangeId(VERIFIER, OWNER, update), ROOT));
    }

    @Test
    void createSession_fromAnotherPrincipalThanTheExchangeId_isClidInuse() {
        CompoundReply.ExchangeId e = exchangeId(ROOT, 0);
        CompoundReply r = nfs.send(new CompoundBuilder(1).createSession(e.clientId(), e.sequenceId(),
                0, LINUX_FORE, LINUX_BACK), USER);
        assertEquals(NfsStatus.NFS4ERR_CLID_INUSE, r.status());
        createSession(ROOT, e, LINUX_FORE);
    }

    @Test
    void setclientid_sameIdFromAnotherPrincipal_getsAnotherClientId_andCannotConfirmTheOwners() {
        byte[] id = "Linux NFSv4.0 node-a/10.0.0.9".getBytes();
        var mine = ok(nfs.send(new CompoundBuilder(0).setclientid(VERIFIER, id), ROOT)).last()
                .as(CompoundReply.Setclientid.class);
        assertEquals(NfsStatus.NFS4ERR_CLID_INUSE, nfs.send(new CompoundBuilder(0)
                .setclientidConfirm(mine.clientId(), mine.confirm()), USER).status());
        ok(nfs.send(new CompoundBuilder(0).setclientidConfirm(mine.clientId(), mine.confirm()), ROOT));
        var theirs = ok(nfs.send(new CompoundBuilder(0).setclientid(VERIFIER, id), USER)).last()
                .as(CompoundReply.Setclientid.class);
        assertNotEquals(mine.clientId(), theirs.clientId());
    }

    // ---------------------------------------------------------------- flags and channels

    @Test
    void exchangeId_withAnUndefinedFlagBit_isInval() {
        assertEquals(NfsStatus.NFS4ERR_INVAL,
                nfs.send(new CompoundBuilder(1).exchangeId(VERIFIER, OWNER, 0x00000800), ROOT).status());
        assertEquals(NfsStatus.NFS4ERR_INVAL,
                nfs.send(new CompoundBuilder(1).exchangeId(VERIFIER, OWNER, 0x01000000), ROOT).status());
        exchangeId(ROOT, Nfs4.EXCHGID4_FLAG_BIND_PRINC_STATEID | Nfs4.EXCHGID4_FLAG_SUPP_MOVED_REFER);
    }

    @Test
    void createSession_withAnUndefinedFlagBit_isInval() {
        CompoundReply.ExchangeId e = exchangeId(ROOT, 0);
        assertEquals(NfsStatus.NFS4ERR_INVAL, nfs.send(new CompoundBuilder(1).createSession(e.clientId(),
                e.sequenceId(), 0x8, LINUX_FORE, LINUX_BACK), ROOT).status());
    }

    @Test
    void createSession_withAnUnusablySmallBackChannel_isToosmall_andLinuxsBackChannelIsAccepted() {
        CompoundReply.ExchangeId e = exchangeId(ROOT, 0);
        for (ChannelAttrs back : new ChannelAttrs[] {
            new ChannelAttrs(0, 0, 4096, 0, 2, 16, new int[0]),
            new ChannelAttrs(0, 4096, 16, 0, 2, 16, new int[0]),
            new ChannelAttrs(0, 4096, 4096, 0, 1, 16, new int[0]),
            new ChannelAttrs(0, 4096, 4096, 0, 2, 0, new int[0])}) {
            assertEquals(NfsStatus.NFS4ERR_TOOSMALL, nfs.send(new CompoundBuilder(1).createSession(e.clientId(),
                    e.sequenceId(), 0, LINUX_FORE, back), ROOT).status(), back.toString());
        }
        createSession(ROOT, e, LINUX_FORE);
    }

    // ---------------------------------------------------------------- negotiated sizes

    @Test
    void requestLargerThanTheSessionsMaxRequestSize_isReqTooBig_andLeavesTheSlotUnused() {
        byte[] session = createSession(ROOT, exchangeId(ROOT, 0),
                new ChannelAttrs(0, 512, 65536, 4096, 8, 4, new int[0]));
        CompoundReply r = nfs.send(new CompoundBuilder(1).sequence(session, 1, 0, 0, false).putrootfh()
                .lookup("n".repeat(600)), ROOT);
        assertEquals(NfsStatus.NFS4ERR_REQ_TOO_BIG, r.status());
        assertEquals(1, r.results().size());
        ok(nfs.send(new CompoundBuilder(1).sequence(session, 1, 0, 0, false).putrootfh(), ROOT));
    }

    @Test
    void replyLargerThanTheSessionsMaxResponseSize_isRepTooBig_onTheOperationThatOutgrewIt() {
        nfs.store.put("big.bin", new byte[8192]);
        byte[] session = createSession(ROOT, exchangeId(ROOT, 0),
                new ChannelAttrs(0, 4096, 4096, 1024, 8, 4, new int[0]));
        CompoundReply r = nfs.send(new CompoundBuilder(1).sequence(session, 1, 0, 0, false).putrootfh()
                .lookup("big.bin").read(StateId.ANONYMOUS, 0, 8192), ROOT);
        assertEquals(NfsStatus.NFS4ERR_REP_TOO_BIG, r.status());
        assertEquals(Nfs4.OP_READ, r.last().opcode());
        assertEquals(4, r.results().size());
        CompoundReply small = ok(nfs.send(new CompoundBuilder(1).sequence(session, 2, 0, 0, false).putrootfh()
                .lookup("big.bin").read(StateId.ANONYMOUS, 0, 2048), ROOT));
        assertEquals(2048, small.last().as(CompoundReply.Read.class).data().length);
    }

    @Test
    void cachedReplyLargerThanMaxResponseSizeCached_isRepTooBigToCache_uncachedIsServed() {
        nfs.store.put("mid.bin", new byte[2048]);
        byte[] session = createSession(ROOT, exchangeId(ROOT, 0),
                new ChannelAttrs(0, 4096, 65536, 1024, 8, 4, new int[0]));
        CompoundReply cached = nfs.send(new CompoundBuilder(1).sequence(session, 1, 0, 0, true).putrootfh()
                .lookup("mid.bin").read(StateId.ANONYMOUS, 0, 2048), ROOT);
        assertEquals(NfsStatus.NFS4ERR_REP_TOO_BIG_TO_CACHE, cached.status());
        assertEquals(Nfs4.OP_READ, cached.last().opcode());
        CompoundReply uncached = ok(nfs.send(new CompoundBuilder(1).sequence(session, 2, 0, 0, false).putrootfh()
                .lookup("mid.bin").read(StateId.ANONYMOUS, 0, 2048), ROOT));
        assertEquals(2048, uncached.last().as(CompoundReply.Read.class).data().length);
    }
}
