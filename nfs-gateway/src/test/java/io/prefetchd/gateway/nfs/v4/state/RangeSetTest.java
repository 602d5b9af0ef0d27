package io.prefetchd.gateway.nfs.v4.state;

import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** One owner's POSIX lock arithmetic, and how offset/length become a range. */
class RangeSetTest {
    private static LockRange read(long start, long end) {
        return new LockRange(start, end, false);
    }

    private static LockRange write(long start, long end) {
        return new LockRange(start, end, true);
    }

    @Test
    void put_readInsideWrite_splitsTheWriteLockAroundADowngrade() {
        List<LockRange> r = RangeSet.put(List.of(write(0, 99)), read(40, 59));
        assertEquals(List.of(write(0, 39), read(40, 59), write(60, 99)), r);
    }

    @Test
    void put_writeOverReads_upgradesAndSwallowsThem() {
        List<LockRange> r = RangeSet.put(List.of(read(0, 9), read(20, 29), read(50, 59)), write(5, 25));
        assertEquals(List.of(read(0, 4), write(5, 25), read(26, 29), read(50, 59)), r);
    }

    @Test
    void put_adjacentAndOverlappingLocksOfOneType_merge() {
        List<LockRange> r = RangeSet.put(List.of(read(0, 9), read(20, 29)), read(10, 19));
        assertEquals(List.of(read(0, 29)), r);
        assertEquals(List.of(read(0, 39)), RangeSet.put(r, read(25, 39)));
    }

    @Test
    void put_adjacentLocksOfDifferentTypes_stayApart() {
        assertEquals(List.of(read(0, 9), write(10, 19)), RangeSet.put(List.of(read(0, 9)), write(10, 19)));
    }

    @Test
    void subtract_fromTheMiddle_splitsInTwo_andUnlockedBytesAreFine() {
        assertEquals(List.of(write(0, 9), write(20, 99)), RangeSet.subtract(List.of(write(0, 99)), read(10, 19)));
        assertEquals(List.of(write(0, 9)), RangeSet.subtract(List.of(write(0, 9)), read(100, 200)));
    }

    @Test
    void toEndOfFile_isTheLargestUnsignedOffset_andSplitsLikeAnyRange() throws NfsException {
        LockRange all = LockRange.of(0, Nfs4.NFS4_UINT64_MAX, true);
        assertEquals(-1L, all.end());
        assertEquals(Nfs4.NFS4_UINT64_MAX, all.length());
        List<LockRange> r = RangeSet.subtract(List.of(all), read(100, 199));
        assertEquals(List.of(write(0, 99), write(200, -1L)), r);
        assertEquals(Nfs4.NFS4_UINT64_MAX, r.get(1).length());
        assertTrue(r.get(1).overlaps(read(Long.MIN_VALUE, Long.MIN_VALUE)), "offsets above 2^63 are unsigned");
        assertEquals(List.of(write(0, -1L)), RangeSet.put(r, write(100, 199)));
    }

    @Test
    void of_zeroLength_orBeyond2To64_isInval() throws NfsException {
        assertEquals(NfsStatus.NFS4ERR_INVAL,
                assertThrows(NfsException.class, () -> LockRange.of(5, 0, false)).status());
        assertEquals(NfsStatus.NFS4ERR_INVAL,
                assertThrows(NfsException.class, () -> LockRange.of(-2L, 2, false)).status());
        assertEquals(-2L, LockRange.of(-2L, 1, false).end(), "the last byte before 2^64 - 1 can be locked");
        assertEquals(-1L, LockRange.of(-2L, Nfs4.NFS4_UINT64_MAX, false).end());
    }

    @Test
    void conflicts_needAWriteLockAndOverlappingBytes() {
        assertFalse(read(0, 9).conflictsWith(read(5, 15)));
        assertTrue(read(0, 9).conflictsWith(write(9, 15)));
        assertFalse(write(0, 9).conflictsWith(write(10, 15)));
    }
}
