package io.prefetchd.gateway.nfs.v4;

import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.FileType;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.client.CompoundBuilder;
import io.prefetchd.gateway.nfs.client.CompoundReply;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;
import io.prefetchd.gateway.nfs.v4.state.ByteRangeLocks;
import io.prefetchd.gateway.nfs.v4.state.ClientRecord;
import io.prefetchd.gateway.nfs.v4.state.Principal;
import io.prefetchd.gateway.nfs.v4.state.LockRange;
import io.prefetchd.gateway.nfs.v4.state.NfsState;
import io.prefetchd.gateway.nfs.xdr.XdrException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static io.prefetchd.gateway.nfs.v4.NfsHarness.ok;
import static io.prefetchd.gateway.nfs.xdr.Nfs4.NFS4_UINT64_MAX;
import static io.prefetchd.gateway.nfs.xdr.Nfs4.READ_LT;
import static io.prefetchd.gateway.nfs.xdr.Nfs4.WRITE_LT;
import static org.junit.jupiter.api.Assertions.*;

/**
 * NFSv4.0 locks (RFC 7530 sections 9.1.7, 16.10-16.12, 16.37): the open-owner's seqid orders a lock-owner's first
 * LOCK, the lock-owner's own seqid orders the rest, retransmissions get the same answer, RELEASE_LOCKOWNER.
 */
class V40LocksTest {
    private final NfsHarness nfs = new NfsHarness();
    private static final byte[] OPEN_OWNER = "open id:abcdefgh".getBytes(StandardCharsets.UTF_8);
    private static final byte[] LOCK_OWNER = "lock id:1".getBytes(StandardCharsets.UTF_8);
    private long clientId;
    private byte[] file;
    private StateId open;

    /** SETCLIENTID, OPEN (open-owner seqid 0), OPEN_CONFIRM (seqid 1): the next open-owner seqid is 2. */
    @BeforeEach
    void openAFile() {
        nfs.put("data.bin", "0123456789".repeat(100));
        var s = ok(nfs.send(new CompoundBuilder(0).setclientid(new byte[8], "Linux NFSv4.0 host".getBytes())))
                .last().as(CompoundReply.Setclientid.class);
        clientId = s.clientId();
        ok(nfs.send(new CompoundBuilder(0).setclientidConfirm(clientId, s.confirm())));
        CompoundReply o = ok(nfs.send(new CompoundBuilder(0).putrootfh()
                .open(0, clientId, OPEN_OWNER, Nfs4.OPEN4_SHARE_ACCESS_READ, 0, "data.bin").getfh()));
        file = o.op(Nfs4.OP_GETFH).as(byte[].class);
        open = ok(nfs.send(new CompoundBuilder(0).putfh(file)
                .openConfirm(o.op(Nfs4.OP_OPEN).as(CompoundReply.Open.class).stateId(), 1))).last().as(StateId.class);
    }

    private CompoundReply send(CompoundBuilder b) {
        return nfs.send(b);
    }

    private StateId lockNew(int openSeqid, int lockSeqid, long offset, long length) {
        return ok(send(new CompoundBuilder(0).putfh(file).lockNew(READ_LT, offset, length, openSeqid, open,
                lockSeqid, clientId, LOCK_OWNER))).last().as(StateId.class);
    }

    @Test
    void firstLock_takesTheOpenOwnersSeqid_laterOnesTheLockOwnersOwn() {
        StateId lock = lockNew(2, 0, 0, 10);
        StateId more = ok(send(new CompoundBuilder(0).putfh(file).lockExisting(READ_LT, 20, 10, lock, 1))).last()
                .as(StateId.class);
        StateId less = ok(send(new CompoundBuilder(0).putfh(file).locku(READ_LT, 2, more, 0, NFS4_UINT64_MAX)))
                .last().as(StateId.class);
        assertEquals(lock.seqid() + 2, less.seqid());
        assertEquals(NfsStatus.NFS4ERR_BAD_SEQID,
                send(new CompoundBuilder(0).putfh(file).lockExisting(READ_LT, 0, 1, less, 5)).status());
        ok(send(new CompoundBuilder(0).putfh(file).close(3, open)));
    }

    @Test
    void retransmittedLock_getsTheSameReply_withoutLockingAgain() throws XdrException {
        byte[] request = new CompoundBuilder(0).putfh(file).lockNew(READ_LT, 0, 10, 2, open, 0, clientId, LOCK_OWNER)
                .build();
        StateId first = CompoundReply.decode(nfs.raw(request)).last().as(StateId.class);
        StateId again = CompoundReply.decode(nfs.raw(request)).last().as(StateId.class);
        assertEquals(first, again);
        StateId next = ok(send(new CompoundBuilder(0).putfh(file).lockExisting(READ_LT, 20, 1, first, 1))).last()
                .as(StateId.class);
        assertEquals(first.seqid() + 1, next.seqid(), "the retransmission changed nothing");
    }

    @Test
    void retransmittedError_getsTheSameError_andTheSequenceGoesOn() throws XdrException {
        byte[] request = new CompoundBuilder(0).putfh(file).lockNew(WRITE_LT, 0, 10, 2, open, 0, clientId,
                LOCK_OWNER).build();
        assertEquals(NfsStatus.NFS4ERR_OPENMODE, CompoundReply.decode(nfs.raw(request)).status());
        assertEquals(NfsStatus.NFS4ERR_OPENMODE, CompoundReply.decode(nfs.raw(request)).status());
        lockNew(3, 1, 0, 10);
    }

    /**
     * Another client's write lock on the file. OPEN on this read-only export never grants write access, so the
     * writer's open is made in the protocol state directly, as a writable export's OPEN would.
     */
    static long writeLockByAnotherClient(NfsHarness nfs, String path, long start, long end) throws NfsException {
        NfsState.SetclientidResult w = nfs.state.setclientid("writer".getBytes(), new byte[8], Principal.NONE);
        nfs.state.setclientidConfirm(w.clientId(), w.confirmVerifier(), Principal.NONE);
        ClientRecord writer = nfs.state.client(w.clientId());
        var open = nfs.state.open(nfs.state.openOwner(writer, "w".getBytes()), new Inode(FileType.REGULAR, path),
                new FileAttributes(FileType.REGULAR, 1000, 1, 1, Instant.EPOCH, "etag"),
                Nfs4.OPEN4_SHARE_ACCESS_BOTH, 0);
        var lock = nfs.state.locks().lock(nfs.state.locks().owner(writer, "writer-lock".getBytes()), open,
                new LockRange(start, end, true));
        assertInstanceOf(ByteRangeLocks.Outcome.Granted.class, lock);
        return w.clientId();
    }

    @Test
    void deniedLock_namesTheConflict_advancesTheSeqid_andItsRetransmissionIsDeniedAlike() throws Exception {
        long writer = writeLockByAnotherClient(nfs, "data.bin", 5, 14);
        byte[] request = new CompoundBuilder(0).putfh(file).lockNew(READ_LT, 0, 10, 2, open, 0, clientId, LOCK_OWNER)
                .build();
        for (int attempt = 0; attempt < 2; attempt++) {
            CompoundReply r = CompoundReply.decode(nfs.raw(request));
            assertEquals(NfsStatus.NFS4ERR_DENIED, r.status());
            CompoundReply.LockDenied d = r.last().as(CompoundReply.LockDenied.class);
            assertEquals(List.of(5L, 10L, WRITE_LT, writer), List.of(d.offset(), d.length(), d.lockType(),
                    d.clientId()), "attempt " + attempt);
            assertArrayEquals("writer-lock".getBytes(), d.owner());
        }
        lockNew(3, 1, 20, 10);
    }

    @Test
    void newLockOwner_thatAlreadyHasAStateidForTheFile_isBadSeqid() {
        lockNew(2, 0, 0, 10);
        assertEquals(NfsStatus.NFS4ERR_BAD_SEQID, send(new CompoundBuilder(0).putfh(file).lockNew(READ_LT, 20, 10, 3,
                open, 1, clientId, LOCK_OWNER)).status());
    }

    @Test
    void releaseLockowner_whileLocksAreHeld_isLocksHeld_thenForgetsTheOwner() {
        StateId lock = lockNew(2, 0, 0, 10);
        assertEquals(NfsStatus.NFS4ERR_LOCKS_HELD,
                send(new CompoundBuilder(0).releaseLockowner(clientId, LOCK_OWNER)).status());
        StateId unlocked = ok(send(new CompoundBuilder(0).putfh(file).locku(READ_LT, 1, lock, 0, 10))).last()
                .as(StateId.class);
        ok(send(new CompoundBuilder(0).releaseLockowner(clientId, LOCK_OWNER)));
        assertEquals(NfsStatus.NFS4ERR_BAD_STATEID,
                send(new CompoundBuilder(0).putfh(file).lockExisting(READ_LT, 0, 1, unlocked, 2)).status());
        lockNew(3, 7, 0, 10);
    }

    @Test
    void lockt_namesItsClient_andAnUnknownOneIsStaleClientid() {
        lockNew(2, 0, 0, 10);
        assertEquals(NfsStatus.NFS4ERR_DENIED, send(new CompoundBuilder(0).putfh(file).lockt(WRITE_LT, 0, 1,
                clientId, "lock id:2".getBytes())).status());
        ok(send(new CompoundBuilder(0).putfh(file).lockt(WRITE_LT, 0, 1, clientId, LOCK_OWNER)));
        assertEquals(NfsStatus.NFS4ERR_STALE_CLIENTID, send(new CompoundBuilder(0).putfh(file).lockt(READ_LT, 0, 1,
                12345L, LOCK_OWNER)).status());
    }

    @Test
    void lockOperations_renewTheLease() {
        StateId lock = lockNew(2, 0, 0, 10);
        nfs.clock.advance(Duration.ofSeconds(50));
        StateId next = ok(send(new CompoundBuilder(0).putfh(file).lockExisting(READ_LT, 20, 1, lock, 1))).last()
                .as(StateId.class);
        nfs.clock.advance(Duration.ofSeconds(50));
        ok(send(new CompoundBuilder(0).putfh(file).locku(READ_LT, 2, next, 20, 1)));
        nfs.clock.advance(Duration.ofSeconds(50));
        ok(send(new CompoundBuilder(0).putfh(file).lockt(WRITE_LT, 0, 1, clientId, LOCK_OWNER)));
        nfs.clock.advance(Duration.ofSeconds(50));
        assertEquals(0, nfs.state.expireClients());
        assertEquals(1, nfs.state.locks().heldCount());
    }
}
