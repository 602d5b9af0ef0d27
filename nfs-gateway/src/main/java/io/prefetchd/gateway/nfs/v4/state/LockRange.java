package io.prefetchd.gateway.nfs.v4.state;

import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;

/**
 * A locked byte range: bytes {@code start} to {@code end} inclusive, both unsigned 64-bit offsets, read (shared)
 * or write (exclusive). {@code end} is 2^64 - 1 (-1 as a long) for a range that runs to the end of the file
 * whatever its size, which is what the length {@link Nfs4#NFS4_UINT64_MAX} asks for.
 */
public record LockRange(long start, long end, boolean write) {
    public LockRange {
        if (Long.compareUnsigned(start, end) > 0) {
            throw new IllegalArgumentException("range ends before it starts: " + Long.toUnsignedString(start) + ".."
                    + Long.toUnsignedString(end));
        }
    }

    /**
     * The range of an offset4 and length4 as LOCK, LOCKT and LOCKU carry them (RFC 8881 section 18.10.3).
     *
     * @throws NfsException NFS4ERR_INVAL when the length is zero, or when offset + length is beyond 2^64 - 1 for
     *     any length but {@link Nfs4#NFS4_UINT64_MAX}
     */
    public static LockRange of(long offset, long length, boolean write) throws NfsException {
        if (length == 0) {
            throw new NfsException(NfsStatus.NFS4ERR_INVAL, "lock length 0");
        }
        if (length == Nfs4.NFS4_UINT64_MAX) {
            return new LockRange(offset, -1L, write);
        }
        if (Long.compareUnsigned(length, -1L - offset) > 0) {
            throw new NfsException(NfsStatus.NFS4ERR_INVAL, "lock offset " + Long.toUnsignedString(offset)
                    + " + length " + Long.toUnsignedString(length) + " is beyond 2^64 - 1");
        }
        return new LockRange(offset, offset + length - 1, write);
    }

    /** The length4 that names this range: {@link Nfs4#NFS4_UINT64_MAX} when it runs to the end of the file. */
    public long length() {
        return end == -1L ? Nfs4.NFS4_UINT64_MAX : end - start + 1;
    }

    public boolean overlaps(LockRange o) {
        return Long.compareUnsigned(start, o.end) <= 0 && Long.compareUnsigned(o.start, end) <= 0;
    }

    /** Whether a lock on {@code o} by another owner cannot coexist with this one. */
    public boolean conflictsWith(LockRange o) {
        return (write || o.write) && overlaps(o);
    }

    @Override
    public String toString() {
        return (write ? "write " : "read ") + Long.toUnsignedString(start) + ".."
                + (end == -1L ? "EOF" : Long.toUnsignedString(end));
    }
}
