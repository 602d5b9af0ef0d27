package io.prefetchd.gateway.nfs.v4;

import io.prefetchd.gateway.nfs.client.CompoundBuilder;
import io.prefetchd.gateway.nfs.client.CompoundReply;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.UnaryOperator;

import static io.prefetchd.gateway.nfs.v4.NfsHarness.ok;
import static io.prefetchd.gateway.nfs.xdr.Nfs4.NFS4_UINT64_MAX;
import static io.prefetchd.gateway.nfs.xdr.Nfs4.READ_LT;
import static io.prefetchd.gateway.nfs.xdr.Nfs4.WRITE_LT;
import static org.junit.jupiter.api.Assertions.*;

/**
 * NFSv4.1 byte-range locks through COMPOUNDs: LOCK, LOCKT, LOCKU, and what locks do to CLOSE, FREE_STATEID,
 * TEST_STATEID, READ and lease expiry. The export is read-only, so opens are for reading and the locks a client
 * can hold are read locks; write locks are asked for by LOCKT (Linux F_GETLK with F_WRLCK).
 */
class LocksTest {
    private final NfsHarness nfs = new NfsHarness();
    private static final byte[] OPEN_OWNER = "open id:1".getBytes(StandardCharsets.UTF_8);
    private static final byte[] LOCK_OWNER = "lock id:1".getBytes(StandardCharsets.UTF_8);
    private static final byte[] OTHER_OWNER = "lock id:2".getBytes(StandardCharsets.UTF_8);
    private byte[] file;
    private StateId open;

    @BeforeEach
    void openAFile() {
        nfs.put("data.bin", "0123456789".repeat(100)).put("dir/x", "x");
        nfs.mount41();
        CompoundReply o = ok(nfs.call41(b -> b.putrootfh().open(0, nfs.clientId, OPEN_OWNER,
                Nfs4.OPEN4_SHARE_ACCESS_READ, 0, "data.bin").getfh()));
        open = o.op(Nfs4.OP_OPEN).as(CompoundReply.Open.class).stateId();
        file = o.op(Nfs4.OP_GETFH).as(byte[].class);
    }

    private StateId lockNew(long offset, long length) {
        return ok(nfs.call41(b -> b.putfh(file).lockNew(READ_LT, offset, length, 0, open, 0, nfs.clientId,
                LOCK_OWNER))).last().as(StateId.class);
    }

    /** A second client with its own session, as another machine mounting the same gateway. */
    private final class OtherClient {
        final long clientId;
        final byte[] sessionId;
        int seq;

        OtherClient() {
            var e = ok(nfs.send(new CompoundBuilder(1).exchangeId(new byte[8], "other-host".getBytes(), 0))).last()
                    .as(CompoundReply.ExchangeId.class);
            clientId = e.clientId();
            sessionId = ok(nfs.send(new CompoundBuilder(1).createSession(clientId, e.sequenceId(), 8, 4, 1 << 20)))
                    .last().as(CompoundReply.CreateSession.class).sessionId();
        }

        CompoundReply call(UnaryOperator<CompoundBuilder> ops) {
            return nfs.send(ops.apply(new CompoundBuilder(1).sequence(sessionId, ++seq, 0, 0, false)));
        }
    }

    @Test
    void open_announcesPosixLocks() {
        CompoundReply o = ok(nfs.call41(b -> b.putfh(file).open(0, nfs.clientId, "open id:2".getBytes(),
                Nfs4.OPEN4_SHARE_ACCESS_READ, 0, null)));
        assertNotEquals(0, o.last().as(CompoundReply.Open.class).rflags() & Nfs4.OPEN4_RESULT_LOCKTYPE_POSIX);
    }

    @Test
    void lock_readUnderAReadOpen_givesALockStateid_thatReadsTheOpenedVersion() {
        StateId lock = lockNew(0, NFS4_UINT64_MAX);
        assertEquals(1, lock.seqid());
        assertFalse(java.util.Arrays.equals(open.other(), lock.other()), "a stateid of its own");
        CompoundReply.Read r = ok(nfs.call41(b -> b.putfh(file).read(lock, 10, 5))).last()
                .as(CompoundReply.Read.class);
        assertEquals("01234", new String(r.data(), StandardCharsets.UTF_8));
        assertEquals(1, nfs.state.locks().heldCount());
    }

    @Test
    void lock_writeUnderAReadOpen_isOpenmode() {
        assertEquals(NfsStatus.NFS4ERR_OPENMODE, nfs.call41(b -> b.putfh(file).lockNew(WRITE_LT, 0, 10, 0, open, 0,
                nfs.clientId, LOCK_OWNER)).status());
        assertEquals(NfsStatus.NFS4ERR_OPENMODE, nfs.call41(b -> b.putfh(file).lockNew(Nfs4.WRITEW_LT, 0, 10, 0,
                open, 0, nfs.clientId, LOCK_OWNER)).status());
    }

    @Test
    void lockt_writeAgainstAnotherClientsReadLock_isDeniedWithItsRange_untilItIsUnlocked() {
        StateId lock = lockNew(100, 50);
        OtherClient other = new OtherClient();
        CompoundReply denied = other.call(b -> b.putfh(file).lockt(WRITE_LT, 0, NFS4_UINT64_MAX, 0, OTHER_OWNER));
        assertEquals(NfsStatus.NFS4ERR_DENIED, denied.status());
        CompoundReply.LockDenied d = denied.last().as(CompoundReply.LockDenied.class);
        assertEquals(100, d.offset());
        assertEquals(50, d.length());
        assertEquals(READ_LT, d.lockType());
        assertEquals(nfs.clientId, d.clientId());
        assertArrayEquals(LOCK_OWNER, d.owner());
        ok(other.call(b -> b.putfh(file).lockt(READ_LT, 0, NFS4_UINT64_MAX, 0, OTHER_OWNER)));
        ok(other.call(b -> b.putfh(file).lockt(WRITE_LT, 150, NFS4_UINT64_MAX, 0, OTHER_OWNER)));
        ok(nfs.call41(b -> b.putfh(file).locku(READ_LT, 0, lock, 0, NFS4_UINT64_MAX)));
        ok(other.call(b -> b.putfh(file).lockt(WRITE_LT, 0, NFS4_UINT64_MAX, 0, OTHER_OWNER)));
    }

    @Test
    void lock_overlappingAnotherClientsWriteLock_isDenied_andNamesIt() throws Exception {
        long writer = V40LocksTest.writeLockByAnotherClient(nfs, "data.bin", 100, -1L);
        CompoundReply r = nfs.call41(b -> b.putfh(file).lockNew(Nfs4.READW_LT, 50, 51, 0, open, 0, nfs.clientId,
                LOCK_OWNER));
        assertEquals(NfsStatus.NFS4ERR_DENIED, r.status());
        CompoundReply.LockDenied d = r.last().as(CompoundReply.LockDenied.class);
        assertEquals(100, d.offset());
        assertEquals(NFS4_UINT64_MAX, d.length(), "a lock to the end of the file");
        assertEquals(WRITE_LT, d.lockType());
        assertEquals(writer, d.clientId());
        assertEquals(1, nfs.state.locks().heldCount(), "only the writer's lock: nothing was granted");
        lockNew(50, 50);
    }

    @Test
    void lockt_ownLocks_neverConflict() {
        lockNew(0, 10);
        ok(nfs.call41(b -> b.putfh(file).lockt(WRITE_LT, 0, 10, 0, LOCK_OWNER)));
        assertEquals(NfsStatus.NFS4ERR_DENIED,
                nfs.call41(b -> b.putfh(file).lockt(WRITE_LT, 0, 10, 0, OTHER_OWNER)).status());
    }

    @Test
    void existingOwner_locksAndUnlocks_splittingRanges_andEachChangeAdvancesTheSeqid() {
        StateId first = lockNew(0, 100);
        StateId second = ok(nfs.call41(b -> b.putfh(file).lockExisting(READ_LT, 200, 100, first, 0))).last()
                .as(StateId.class);
        assertEquals(first.seqid() + 1, second.seqid());
        assertArrayEquals(first.other(), second.other());
        StateId third = ok(nfs.call41(b -> b.putfh(file).locku(READ_LT, 0, second, 40, 20))).last()
                .as(StateId.class);
        assertEquals(second.seqid() + 1, third.seqid());
        assertEquals(3, nfs.state.locks().heldCount(), "0-39, 60-99, 200-299");
        ok(nfs.call41(b -> b.putfh(file).lockt(WRITE_LT, 40, 20, 0, OTHER_OWNER)));
        assertEquals(NfsStatus.NFS4ERR_DENIED,
                nfs.call41(b -> b.putfh(file).lockt(WRITE_LT, 59, 2, 0, OTHER_OWNER)).status());
        assertEquals(NfsStatus.NFS4ERR_OLD_STATEID,
                nfs.call41(b -> b.putfh(file).locku(READ_LT, 0, second, 0, 1)).status());
        assertEquals(NfsStatus.NFS4ERR_BAD_STATEID, nfs.call41(b -> b.putfh(file).locku(READ_LT, 0,
                third.withSeqid(third.seqid() + 1), 0, 1)).status());
        ok(nfs.call41(b -> b.putfh(file).locku(READ_LT, 0, third.withSeqid(0), 0, NFS4_UINT64_MAX)));
        assertEquals(0, nfs.state.locks().heldCount());
    }

    @Test
    void newLockOwnerAgain_in41_continuesItsLockStateid() {
        StateId first = lockNew(0, 10);
        StateId again = lockNew(20, 10);
        assertArrayEquals(first.other(), again.other());
        assertEquals(2, again.seqid());
    }

    @Test
    void badRanges_andTypes_areInval() {
        assertEquals(NfsStatus.NFS4ERR_INVAL, nfs.call41(b -> b.putfh(file).lockNew(READ_LT, 0, 0, 0, open, 0,
                nfs.clientId, LOCK_OWNER)).status());
        assertEquals(NfsStatus.NFS4ERR_INVAL, nfs.call41(b -> b.putfh(file).lockNew(READ_LT, -10L, 11, 0, open, 0,
                nfs.clientId, LOCK_OWNER)).status());
        assertEquals(NfsStatus.NFS4ERR_INVAL, nfs.call41(b -> b.putfh(file).lockt(7, 0, 1, 0, LOCK_OWNER)).status());
        StateId lock = lockNew(0, 10);
        assertEquals(NfsStatus.NFS4ERR_INVAL, nfs.call41(b -> b.putfh(file).locku(READ_LT, 0, lock, 5, 0)).status());
    }

    @Test
    void lockStateid_onAnotherFile_isBadStateid_andADirectoryIsIsdir() {
        StateId lock = lockNew(0, 10);
        byte[] x = ok(nfs.call41(b -> b.putrootfh().lookup("dir").lookup("x").getfh())).last().as(byte[].class);
        assertEquals(NfsStatus.NFS4ERR_BAD_STATEID,
                nfs.call41(b -> b.putfh(x).lockExisting(READ_LT, 0, 1, lock, 0)).status());
        assertEquals(NfsStatus.NFS4ERR_ISDIR,
                nfs.call41(b -> b.putrootfh().lockt(READ_LT, 0, 1, 0, LOCK_OWNER)).status());
    }

    @Test
    void lockStateid_ofAnotherClient_isBadStateid() {
        StateId lock = lockNew(0, 10);
        OtherClient other = new OtherClient();
        assertEquals(NfsStatus.NFS4ERR_BAD_STATEID,
                other.call(b -> b.putfh(file).locku(READ_LT, 0, lock, 0, 10)).status());
        assertEquals(1, nfs.state.locks().heldCount());
    }

    @Test
    void close_whileLocksAreHeld_isLocksHeld_andAfterLocku_closes() {
        StateId lock = lockNew(0, 10);
        assertEquals(NfsStatus.NFS4ERR_LOCKS_HELD, nfs.call41(b -> b.putfh(file).close(0, open)).status());
        ok(nfs.call41(b -> b.putfh(file).locku(READ_LT, 0, lock, 0, 10)));
        ok(nfs.call41(b -> b.putfh(file).close(0, open)));
        int[] codes = ok(nfs.call41(b -> b.testStateid(lock.withSeqid(0)))).last().as(int[].class);
        assertEquals(NfsStatus.NFS4ERR_BAD_STATEID.code(), codes[0], "the lock stateid went with its open");
    }

    @Test
    void freeStateid_ofALockStateid_onlyOnceItsLocksAreGone() {
        StateId lock = lockNew(0, 10);
        int[] codes = ok(nfs.call41(b -> b.testStateid(lock))).last().as(int[].class);
        assertEquals(NfsStatus.NFS4_OK.code(), codes[0]);
        assertEquals(NfsStatus.NFS4ERR_LOCKS_HELD, nfs.call41(b -> b.freeStateid(lock)).status());
        StateId unlocked = ok(nfs.call41(b -> b.putfh(file).locku(READ_LT, 0, lock, 0, 10))).last().as(StateId.class);
        ok(nfs.call41(b -> b.freeStateid(unlocked)));
        assertEquals(NfsStatus.NFS4ERR_BAD_STATEID, nfs.call41(b -> b.putfh(file).read(unlocked, 0, 1)).status());
        StateId fresh = lockNew(0, 10);
        assertFalse(java.util.Arrays.equals(lock.other(), fresh.other()), "the next lock gets a new stateid");
    }

    @Test
    void reclaim_isNoGrace() {
        StateId lock = lockNew(0, 10);
        assertEquals(NfsStatus.NFS4ERR_NO_GRACE,
                nfs.call41(b -> b.putfh(file).lockReclaim(READ_LT, 0, 10, lock, 0)).status());
    }

    @Test
    void releaseLockowner_isNotSupportedIn41() {
        assertEquals(NfsStatus.NFS4ERR_NOTSUPP,
                nfs.call41(b -> b.releaseLockowner(nfs.clientId, LOCK_OWNER)).status());
    }

    @Test
    void locksOfAClientWhoseLeaseExpired_stopConflicting() {
        lockNew(0, NFS4_UINT64_MAX);
        OtherClient other = new OtherClient();
        assertEquals(NfsStatus.NFS4ERR_DENIED,
                other.call(b -> b.putfh(file).lockt(WRITE_LT, 0, 1, 0, OTHER_OWNER)).status());
        nfs.clock.advance(Duration.ofSeconds(40));
        ok(other.call(b -> b.putfh(file)));
        nfs.clock.advance(Duration.ofSeconds(40));
        ok(other.call(b -> b.putfh(file).lockt(WRITE_LT, 0, 1, 0, OTHER_OWNER)));
        assertEquals(0, nfs.state.locks().heldCount());
    }

    @Test
    void leaseReaper_releasesTheLocksOfASilentClient() {
        lockNew(0, 10);
        nfs.clock.advance(NfsHarness.LEASE.plusSeconds(1));
        assertEquals(1, nfs.state.expireClients());
        assertEquals(0, nfs.state.locks().heldCount());
    }
}
