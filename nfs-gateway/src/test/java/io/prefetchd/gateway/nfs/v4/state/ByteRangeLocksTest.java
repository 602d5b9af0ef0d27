package io.prefetchd.gateway.nfs.v4.state;

import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.FileType;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The lock table with opens for writing, which the read-only export's OPEN never grants (so write locks are
 * tested here, below the protocol): conflicts between owners and clients, one owner's upgrades, the open mode
 * rule, and what CLOSE and lease expiry do to locks.
 */
class ByteRangeLocksTest {
    private final ManualClock clock = new ManualClock();
    private final NfsState state = new NfsState(clock, Duration.ofSeconds(60));
    private final ByteRangeLocks locks = state.locks();
    private final Inode file = new Inode(FileType.REGULAR, "data.bin");
    private final FileAttributes version = new FileAttributes(FileType.REGULAR, 1000, 7, 1, Instant.EPOCH, "e1");

    private ClientRecord client(String name) throws NfsException {
        NfsState.SetclientidResult r = state.setclientid(name.getBytes(StandardCharsets.UTF_8), new byte[8], Principal.NONE);
        state.setclientidConfirm(r.clientId(), r.confirmVerifier(), Principal.NONE);
        return state.client(r.clientId());
    }

    private OpenState open(ClientRecord c, int access) throws NfsException {
        return state.open(state.openOwner(c, "open".getBytes(StandardCharsets.UTF_8)), file, version, access, 0);
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static LockRange write(long start, long end) {
        return new LockRange(start, end, true);
    }

    private static LockRange read(long start, long end) {
        return new LockRange(start, end, false);
    }

    @Test
    void writeLock_deniesOtherOwnersOverlappingLocks_andNamesItself() throws NfsException {
        ClientRecord c = client("c");
        OpenState open = open(c, Nfs4.OPEN4_SHARE_ACCESS_BOTH);
        LockOwner a = locks.owner(c, b("a"));
        LockOwner other = locks.owner(c, b("b"));
        assertInstanceOf(ByteRangeLocks.Outcome.Granted.class, locks.lock(a, open, write(100, 199)));
        var denied = assertInstanceOf(ByteRangeLocks.Outcome.Denied.class, locks.lock(other, open, read(150, 150)));
        assertEquals(write(100, 199), denied.conflict().range());
        assertArrayEquals(b("a"), denied.conflict().owner());
        assertEquals(c.clientId(), denied.conflict().clientId());
        assertInstanceOf(ByteRangeLocks.Outcome.Granted.class, locks.lock(other, open, write(200, 299)),
                "the next byte is free");
    }

    @Test
    void readLocks_ofTwoClients_coexist_butBlockAWriteLock() throws NfsException {
        ClientRecord c1 = client("c1");
        ClientRecord c2 = client("c2");
        OpenState o1 = open(c1, Nfs4.OPEN4_SHARE_ACCESS_BOTH);
        OpenState o2 = open(c2, Nfs4.OPEN4_SHARE_ACCESS_BOTH);
        assertInstanceOf(ByteRangeLocks.Outcome.Granted.class, locks.lock(locks.owner(c1, b("x")), o1, read(0, -1L)));
        assertInstanceOf(ByteRangeLocks.Outcome.Granted.class, locks.lock(locks.owner(c2, b("x")), o2, read(0, 9)));
        var denied = assertInstanceOf(ByteRangeLocks.Outcome.Denied.class,
                locks.lock(locks.owner(c2, b("x")), o2, write(5, 5)));
        assertEquals(c1.clientId(), denied.conflict().clientId(), "the same owner bytes of another client differ");
        assertEquals(2, locks.heldCount());
    }

    @Test
    void oneOwner_upgradesAndDowngradesItsOwnLocks_withoutConflict() throws NfsException {
        ClientRecord c = client("c");
        OpenState open = open(c, Nfs4.OPEN4_SHARE_ACCESS_BOTH);
        LockOwner a = locks.owner(c, b("a"));
        locks.lock(a, open, read(0, 99));
        var up = assertInstanceOf(ByteRangeLocks.Outcome.Granted.class, locks.lock(a, open, write(0, 99)));
        var down = assertInstanceOf(ByteRangeLocks.Outcome.Granted.class, locks.lock(a, open, read(50, 59)));
        assertEquals(up.stateId().seqid() + 1, down.stateId().seqid());
        assertEquals(3, locks.heldCount(), "write 0-49, read 50-59, write 60-99");
        LockOwner other = locks.owner(c, b("b"));
        assertInstanceOf(ByteRangeLocks.Outcome.Granted.class, locks.lock(other, open, read(50, 59)));
        assertInstanceOf(ByteRangeLocks.Outcome.Denied.class, locks.lock(other, open, read(49, 50)));
    }

    @Test
    void lockType_mustBeAllowedByTheOpen_isOpenmode() throws NfsException {
        ClientRecord c = client("c");
        LockOwner a = locks.owner(c, b("a"));
        NfsException e = assertThrows(NfsException.class,
                () -> locks.lock(a, open(c, Nfs4.OPEN4_SHARE_ACCESS_READ), write(0, 9)));
        assertEquals(NfsStatus.NFS4ERR_OPENMODE, e.status());
    }

    @Test
    void close_withLocksHeld_isLocksHeld_andAfterUnlock_freesTheLockStateid() throws NfsException {
        ClientRecord c = client("c");
        OpenState open = open(c, Nfs4.OPEN4_SHARE_ACCESS_BOTH);
        LockOwner a = locks.owner(c, b("a"));
        var g = (ByteRangeLocks.Outcome.Granted) locks.lock(a, open, write(0, 9));
        assertEquals(NfsStatus.NFS4ERR_LOCKS_HELD, assertThrows(NfsException.class, () -> state.close(open)).status());
        LockState ls = locks.get(g.stateId(), 0);
        locks.unlock(ls, read(0, -1L));
        state.close(open);
        assertEquals(NfsStatus.NFS4ERR_BAD_STATEID, state.test(g.stateId().withSeqid(0)));
    }

    @Test
    void expiredClient_losesItsLocks_whenAnotherClientMeetsThem() throws NfsException {
        ClientRecord dead = client("dead");
        locks.lock(locks.owner(dead, b("a")), open(dead, Nfs4.OPEN4_SHARE_ACCESS_BOTH), write(0, -1L));
        clock.advance(Duration.ofSeconds(59));
        ClientRecord live = client("live");
        OpenState open = open(live, Nfs4.OPEN4_SHARE_ACCESS_BOTH);
        assertInstanceOf(ByteRangeLocks.Outcome.Denied.class, locks.lock(locks.owner(live, b("b")), open, read(0, 0)));
        clock.advance(Duration.ofSeconds(2));
        state.renew(live);
        assertInstanceOf(ByteRangeLocks.Outcome.Granted.class,
                locks.lock(locks.owner(live, b("b")), open, read(0, 0)));
        assertEquals(1, locks.heldCount());
    }
}
