package io.prefetchd.gateway.nfs.client;

import io.prefetchd.gateway.nfs.xdr.Attr;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;
import io.prefetchd.gateway.nfs.xdr.XdrException;
import io.prefetchd.gateway.nfs.xdr.XdrReader;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import static java.util.Objects.requireNonNull;

/**
 * A decoded COMPOUND reply: its status, tag and each operation's status and result value. Result values are
 * the records below (or null for operations whose result is a status only). Used by prefetchd's own client.
 */
/** {@code status} (here and in each result) is null for a status code this client does not know. */
public record CompoundReply(@Nullable NfsStatus status, String tag, List<OpResult> results) {

    public record OpResult(int opcode, @Nullable NfsStatus status, @Nullable Object value) {
        @SuppressWarnings("unchecked")
        /** The result's body as {@code type}; a result without one is a failed expectation of the caller. */
        public <T> T as(Class<T> type) {
            return type.cast(requireNonNull(value, "the result of op " + opcode + " has no body"));
        }
    }

    public record Fattr(Map<Integer, Object> values) {
        public long size() {
            return (Long) requireNonNull(values.get(Attr.SIZE), "no size in the reply");
        }

        public int type() {
            return (Integer) requireNonNull(values.get(Attr.TYPE), "no type in the reply");
        }

        public long change() {
            return (Long) requireNonNull(values.get(Attr.CHANGE), "no change in the reply");
        }

        public long fileId() {
            return (Long) requireNonNull(values.get(Attr.FILEID), "no fileid in the reply");
        }

        /** The mtime, or null when the reply carries none. */
        public @Nullable Instant mtime() {
            return (Instant) values.get(Attr.TIME_MODIFY);
        }
    }

    public record Read(boolean eof, byte[] data) {}

    public record Open(StateId stateId, int rflags, ChangeInfo cinfo, int[] attrset) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Open x && x.stateId.equals(stateId) && x.rflags == rflags && x.cinfo.equals(cinfo)
                    && Arrays.equals(x.attrset, attrset);
        }

        @Override
        public int hashCode() {
            return Objects.hash(stateId, rflags, cinfo, Arrays.hashCode(attrset));
        }
    }

    /** change_info4 of a directory an operation changed. */
    public record ChangeInfo(boolean atomic, long before, long after) {
        static ChangeInfo decode(XdrReader r) throws XdrException {
            return new ChangeInfo(r.readBool(), r.readLong(), r.readLong());
        }
    }

    public record Write(int count, int committed, long verifier) {}

    public record Create(ChangeInfo cinfo, int[] attrset) {}

    public record Rename(ChangeInfo source, ChangeInfo target) {}

    public record DirEntry(long cookie, String name, Fattr attrs) {}

    public record Readdir(long verifier, List<DirEntry> entries, boolean eof) {}

    public record ExchangeId(long clientId, int sequenceId, int flags) {}

    public record CreateSession(byte[] sessionId, int sequence, int flags, int maxRequestSize, int maxResponseSize,
                                int maxOperations, int maxRequests) {}

    public record Sequence(byte[] sessionId, int sequenceId, int slotId, int highestSlotId, int targetHighestSlotId,
                           int statusFlags) {}

    public record Setclientid(long clientId, byte[] confirm) {}

    public record Access(int supported, int access) {}

    /** LOCK4denied: the lock that stood in the way, as LOCK and LOCKT answer NFS4ERR_DENIED. */
    public record LockDenied(long offset, long length, int lockType, long clientId, byte[] owner) {}

    public OpResult last() {
        return results.get(results.size() - 1);
    }

    public OpResult op(int opcode) {
        for (OpResult r : results) {
            if (r.opcode() == opcode) {
                return r;
            }
        }
        throw new IllegalStateException("no result for opcode " + opcode + " in " + results);
    }

    public static CompoundReply decode(byte[] bytes) throws XdrException {
        XdrReader r = new XdrReader(bytes);
        NfsStatus status = NfsStatus.of(r.readInt());
        String tag = r.readUtf8(Nfs4.OPAQUE_LIMIT);
        int n = r.readCount(8, 1024);
        List<OpResult> results = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int opcode = r.readInt();
            NfsStatus st = NfsStatus.of(r.readInt());
            Object value = st == NfsStatus.NFS4_OK ? body(opcode, r) : failureBody(opcode, st, r);
            results.add(new OpResult(opcode, st, value));
        }
        return new CompoundReply(status, tag, results);
    }

    /**
     * The part of a failed result that follows its status: SETATTR's attrsset bitmap, the conflicting lock of a
     * denied LOCK or LOCKT, or nothing.
     */
    private static @Nullable Object failureBody(int opcode, @Nullable NfsStatus st, XdrReader r) throws XdrException {
        if (opcode == Nfs4.OP_SETATTR) {
            return r.readIntArray(8);
        }
        if (st == NfsStatus.NFS4ERR_DENIED && (opcode == Nfs4.OP_LOCK || opcode == Nfs4.OP_LOCKT)) {
            return lockDenied(r);
        }
        return null;
    }

    private static LockDenied lockDenied(XdrReader r) throws XdrException {
        return new LockDenied(r.readLong(), r.readLong(), r.readInt(), r.readLong(), r.readOpaque(Nfs4.OPAQUE_LIMIT));
    }

    private static @Nullable Object body(int opcode, XdrReader r) throws XdrException {
        return switch (opcode) {
            case Nfs4.OP_ACCESS -> new Access(r.readInt(), r.readInt());
            case Nfs4.OP_CLOSE, Nfs4.OP_OPEN_CONFIRM, Nfs4.OP_OPEN_DOWNGRADE, Nfs4.OP_LOCK, Nfs4.OP_LOCKU ->
                    StateId.decode(r);
            case Nfs4.OP_GETATTR -> fattr(r);
            case Nfs4.OP_GETFH -> r.readOpaque(Nfs4.FHSIZE);
            case Nfs4.OP_OPEN -> {
                StateId id = StateId.decode(r);
                ChangeInfo cinfo = ChangeInfo.decode(r);
                int rflags = r.readInt();
                int[] attrset = r.readIntArray(8);
                int deleg = r.readInt();
                if (deleg != Nfs4.OPEN_DELEGATE_NONE) {
                    throw new XdrException("delegation type " + deleg + " not decoded");
                }
                yield new Open(id, rflags, cinfo, attrset);
            }
            case Nfs4.OP_READ -> {
                boolean eof = r.readBool();
                yield new Read(eof, r.readOpaque(Integer.MAX_VALUE));
            }
            case Nfs4.OP_READDIR -> {
                long verifier = r.readLong();
                List<DirEntry> entries = new ArrayList<>();
                while (r.readBool()) {
                    long cookie = r.readLong();
                    String name = r.readUtf8(Nfs4.OPAQUE_LIMIT);
                    entries.add(new DirEntry(cookie, name, fattr(r)));
                }
                yield new Readdir(verifier, entries, r.readBool());
            }
            case Nfs4.OP_SECINFO, Nfs4.OP_SECINFO_NO_NAME -> r.readIntArray(16);
            case Nfs4.OP_SETATTR -> r.readIntArray(8);
            case Nfs4.OP_WRITE -> new Write(r.readInt(), r.readInt(), r.readLong());
            case Nfs4.OP_COMMIT -> r.readLong();
            case Nfs4.OP_CREATE -> new Create(ChangeInfo.decode(r), r.readIntArray(8));
            case Nfs4.OP_REMOVE -> ChangeInfo.decode(r);
            case Nfs4.OP_RENAME -> new Rename(ChangeInfo.decode(r), ChangeInfo.decode(r));
            case Nfs4.OP_SETCLIENTID -> new Setclientid(r.readLong(), r.readFixedOpaque(8));
            case Nfs4.OP_EXCHANGE_ID -> {
                ExchangeId e = new ExchangeId(r.readLong(), r.readInt(), r.readInt());
                r.readInt();
                r.readLong();
                r.readOpaque(Nfs4.OPAQUE_LIMIT);
                r.readOpaque(Nfs4.OPAQUE_LIMIT);
                int impl = r.readCount(4, 1);
                for (int i = 0; i < impl; i++) {
                    r.readUtf8(Nfs4.OPAQUE_LIMIT);
                    r.readUtf8(Nfs4.OPAQUE_LIMIT);
                    r.readLong();
                    r.readInt();
                }
                yield e;
            }
            case Nfs4.OP_CREATE_SESSION -> {
                byte[] id = r.readFixedOpaque(Nfs4.SESSIONID_SIZE);
                int seq = r.readInt();
                int flags = r.readInt();
                r.readInt();
                int maxReq = r.readInt();
                int maxResp = r.readInt();
                r.readInt();
                int maxOps = r.readInt();
                int maxReqs = r.readInt();
                r.readIntArray(1);
                for (int i = 0; i < 6; i++) {
                    r.readInt();
                }
                r.readIntArray(1);
                yield new CreateSession(id, seq, flags, maxReq, maxResp, maxOps, maxReqs);
            }
            case Nfs4.OP_SEQUENCE -> new Sequence(r.readFixedOpaque(Nfs4.SESSIONID_SIZE), r.readInt(), r.readInt(),
                    r.readInt(), r.readInt(), r.readInt());
            case Nfs4.OP_TEST_STATEID -> r.readIntArray(1024);
            case Nfs4.OP_BIND_CONN_TO_SESSION -> {
                r.readFixedOpaque(Nfs4.SESSIONID_SIZE);
                int dir = r.readInt();
                r.readBool();
                yield dir;
            }
            default -> null;
        };
    }

    /** Decodes fattr4 for the attributes prefetchd serves. */
    public static Fattr fattr(XdrReader r) throws XdrException {
        int[] mask = r.readIntArray(8);
        byte[] vals = r.readOpaque(1 << 20);
        XdrReader v = new XdrReader(vals);
        Map<Integer, Object> out = new TreeMap<>();
        for (int attr = 0; attr < mask.length * 32; attr++) {
            if ((mask[attr / 32] & (1 << (attr % 32))) == 0) {
                continue;
            }
            out.put(attr, switch (attr) {
                case Attr.SUPPORTED_ATTRS, Attr.SUPPATTR_EXCLCREAT, Attr.FS_LAYOUT_TYPES -> v.readIntArray(8);
                case Attr.TYPE, Attr.FH_EXPIRE_TYPE, Attr.LEASE_TIME, Attr.RDATTR_ERROR, Attr.ACLSUPPORT,
                     Attr.MAXLINK, Attr.MAXNAME, Attr.MODE, Attr.NUMLINKS, Attr.LAYOUT_BLKSIZE -> v.readInt();
                case Attr.LINK_SUPPORT, Attr.SYMLINK_SUPPORT, Attr.NAMED_ATTR, Attr.UNIQUE_HANDLES, Attr.CANSETTIME,
                     Attr.CASE_INSENSITIVE, Attr.CASE_PRESERVING, Attr.CHOWN_RESTRICTED, Attr.HOMOGENEOUS,
                     Attr.NO_TRUNC -> v.readBool();
                case Attr.FSID, Attr.RAWDEV -> Attr.FSID == attr ? new long[] {v.readLong(), v.readLong()}
                        : new long[] {v.readInt(), v.readInt()};
                case Attr.FILEHANDLE -> v.readOpaque(Nfs4.FHSIZE);
                case Attr.OWNER, Attr.OWNER_GROUP -> v.readUtf8(1024);
                case Attr.TIME_ACCESS, Attr.TIME_DELTA, Attr.TIME_METADATA, Attr.TIME_MODIFY ->
                        Instant.ofEpochSecond(v.readLong(), v.readInt());
                default -> v.readLong();
            });
        }
        return new Fattr(out);
    }
}
