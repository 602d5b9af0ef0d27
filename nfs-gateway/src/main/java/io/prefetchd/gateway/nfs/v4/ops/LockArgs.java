package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsErrorWithBody;
import io.prefetchd.gateway.nfs.v4.state.ByteRangeLocks.Conflict;
import io.prefetchd.gateway.nfs.v4.state.ClientRecord;
import io.prefetchd.gateway.nfs.v4.state.LockRange;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;

/** What LOCK, LOCKT and LOCKU check alike, and the LOCK4denied result of LOCK and LOCKT. */
final class LockArgs {
    private LockArgs() {
    }

    /** The current file handle, which must be a file (locks are on regular files only). */
    static Inode file(CompoundContext ctx) throws NfsException {
        Inode fh = ctx.currentFh();
        if (fh.isDirectory()) {
            throw new NfsException(NfsStatus.NFS4ERR_ISDIR, fh.path() + " is a directory");
        }
        return fh;
    }

    /**
     * The range and type an nfs_lock_type4, offset4 and length4 ask for; the blocking types (READW_LT, WRITEW_LT)
     * lock like the others, since a denied client polls (RFC 8881 section 9.6).
     *
     * @throws NfsException NFS4ERR_INVAL for an unknown lock type, a zero length or a range beyond 2^64 - 1
     */
    static LockRange range(int lockType, long offset, long length) throws NfsException {
        boolean write = switch (lockType) {
            case Nfs4.READ_LT, Nfs4.READW_LT -> false;
            case Nfs4.WRITE_LT, Nfs4.WRITEW_LT -> true;
            default -> throw new NfsException(NfsStatus.NFS4ERR_INVAL, "lock type " + lockType);
        };
        return LockRange.of(offset, length, write);
    }

    /** In 4.1 a stateid may only be used by the client it belongs to (the session's). */
    static void checkClient(CompoundContext ctx, ClientRecord holder) throws NfsException {
        if (ctx.minorVersion() >= 1 && ctx.sessionClient() != holder) {
            throw new NfsException(NfsStatus.NFS4ERR_BAD_STATEID, "stateid of another client");
        }
    }

    /** NFS4ERR_DENIED with LOCK4denied: the conflicting lock's range, type and owner (RFC 8881 section 18.10.2). */
    static NfsErrorWithBody denied(Conflict c) {
        LockRange r = c.range();
        byte[] owner = c.owner();
        return new NfsErrorWithBody(NfsStatus.NFS4ERR_DENIED, "conflicts with " + r, w -> {
            w.writeLong(r.start()).writeLong(r.length()).writeInt(r.write() ? Nfs4.WRITE_LT : Nfs4.READ_LT);
            w.writeLong(c.clientId()).writeOpaque(owner);
        });
    }
}
