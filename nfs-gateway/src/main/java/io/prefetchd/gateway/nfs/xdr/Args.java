package io.prefetchd.gateway.nfs.xdr;

import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;

/**
 * Decoded arguments of every NFSv4.0/4.1 operation prefetchd executes (RFC 5662 / RFC 7530 XDR).
 * Values only; the logic lives in {@code io.prefetchd.gateway.nfs.v4.ops}.
 */
public final class Args {
    private Args() {
    }

    /** Bounds on arrays and strings a request may carry; anything larger is GARBAGE_ARGS. */
    static final int MAX_NAME_BYTES = 4096;
    /**
     * A bitmap may be longer than any attribute this server knows (unknown bits are ignored, or answered as
     * unsupported where the operation says so); the reader still checks every word is in the request.
     */
    static final int MAX_BITMAP_WORDS = 1 << 16;
    static final int MAX_ATTR_BYTES = 64 * 1024;
    static final int MAX_STATEIDS = 1024;

    public record Fattr(int[] mask, byte[] values) {
        static Fattr decode(XdrReader r) throws XdrException {
            return new Fattr(r.readIntArray(MAX_BITMAP_WORDS), r.readOpaque(MAX_ATTR_BYTES));
        }
    }

    public record Access(int access) {}

    public record Close(int seqid, StateId stateid) {}

    public record Getattr(int[] request) {}

    /**
     * LOOKUP4args. The name (a component4) is kept as the client's bytes: a name that is not UTF-8, or is too long,
     * is an error of the operation (NFS4ERR_INVAL, NFS4ERR_NAMETOOLONG), not of the request's XDR.
     */
    public record Lookup(byte[] name) {}

    public record Verify(Fattr attrs) {}

    public record OpenOwner(long clientid, byte[] owner) {}

    /**
     * OPEN4args. {@code claimName} (a component4's bytes, checked by the operation) is set for CLAIM_NULL,
     * CLAIM_DELEGATE_CUR and CLAIM_DELEGATE_PREV; {@code createMode} is -1 unless {@code opentype} is OPEN4_CREATE.
     * {@code createAttrs} are the attributes of UNCHECKED4, GUARDED4 and EXCLUSIVE4_1 (else null), and
     * {@code createVerifier} the verifier of EXCLUSIVE4 and EXCLUSIVE4_1 (else null).
     */
    public record Open(int seqid, int shareAccess, int shareDeny, OpenOwner owner, int opentype, int createMode,
                       @Nullable Fattr createAttrs, byte @Nullable [] createVerifier, int claimType,
                       byte @Nullable [] claimName,
                       int delegateType) {}

    /** lock_owner4: in 4.1 the client ID comes from the session and {@code clientid} is ignored. */
    public record LockOwner(long clientid, byte[] owner) {}

    /** locker4: a first lock of a lock-owner on a file (from an open) or a further one (from its lock stateid). */
    public sealed interface Locker permits OpenToLockOwner, ExistLockOwner {}

    public record OpenToLockOwner(int openSeqid, StateId openStateid, int lockSeqid, LockOwner owner)
            implements Locker {}

    public record ExistLockOwner(StateId lockStateid, int lockSeqid) implements Locker {}

    public record Lock(int lockType, boolean reclaim, long offset, long length, Locker locker) {}

    public record Lockt(int lockType, long offset, long length, LockOwner owner) {}

    public record Locku(int lockType, int seqid, StateId lockStateid, long offset, long length) {}

    public record ReleaseLockowner(LockOwner owner) {}

    public record OpenConfirm(StateId stateid, int seqid) {}

    public record OpenDowngrade(StateId stateid, int seqid, int shareAccess, int shareDeny) {}

    public record Putfh(byte[] fh) {}

    /** WRITE4args; {@code data} is a read-only view of the request's bytes, valid while the COMPOUND runs. */
    public record Write(StateId stateid, long offset, int stable, ByteBuffer data) {}

    public record Commit(long offset, int count) {}

    /**
     * CREATE4args: the type of object ({@code nfs_ftype4}; a symbolic link's target and a device's numbers are
     * decoded and dropped, since no such object can be created), its name (a component4's bytes) and attributes.
     */
    public record Create(int type, byte[] name, Fattr attrs) {}

    public record Remove(byte[] name) {}

    public record Link(byte[] newName) {}

    public record Rename(byte[] oldName, byte[] newName) {}

    public record Read(StateId stateid, long offset, int count) {}

    public record Readdir(long cookie, byte[] cookieVerf, int dircount, int maxcount, int[] request) {}

    public record Renew(long clientid) {}

    public record Secinfo(byte[] name) {}

    public record Setattr(StateId stateid, Fattr attrs) {}

    public record SecinfoNoName(int style) {}

    public record Setclientid(byte[] verifier, byte[] id, int cbProgram, String netid, String addr, int cbIdent) {}

    public record SetclientidConfirm(long clientid, byte[] confirm) {}

    public record ExchangeId(byte[] verifier, byte[] ownerId, int flags, int stateProtect, String implDomain,
                             String implName) {}

    public record ChannelAttrs(int headerPadSize, int maxRequestSize, int maxResponseSize,
                               int maxResponseSizeCached, int maxOperations, int maxRequests, int[] rdmaIrd) {
        static ChannelAttrs decode(XdrReader r) throws XdrException {
            return new ChannelAttrs(r.readInt(), r.readInt(), r.readInt(), r.readInt(), r.readInt(), r.readInt(),
                    r.readIntArray(1));
        }

        public void encode(XdrWriter w) {
            w.writeInt(headerPadSize).writeInt(maxRequestSize).writeInt(maxResponseSize)
                    .writeInt(maxResponseSizeCached).writeInt(maxOperations).writeInt(maxRequests)
                    .writeIntArray(rdmaIrd);
        }
    }

    public record CreateSession(long clientid, int sequence, int flags, ChannelAttrs fore, ChannelAttrs back,
                                int cbProgram) {}

    public record Sequence(byte[] sessionId, int sequenceId, int slotId, int highestSlotId, boolean cacheThis) {}

    public record DestroySession(byte[] sessionId) {}

    public record DestroyClientid(long clientid) {}

    public record BindConnToSession(byte[] sessionId, int dir, boolean rdma) {}

    public record ReclaimComplete(boolean oneFs) {}

    public record TestStateid(StateId[] stateids) {}

    public record FreeStateid(StateId stateid) {}

    /**
     * Decodes the arguments of {@code opcode}. Returns null for operations without arguments.
     *
     * @throws XdrException when the bytes do not decode
     * @throws IllegalArgumentException when prefetchd does not decode this opcode's arguments
     */
    public static @Nullable Object decode(int opcode, XdrReader r) throws XdrException {
        return switch (opcode) {
            case Nfs4.OP_ACCESS -> new Access(r.readInt());
            case Nfs4.OP_CLOSE -> new Close(r.readInt(), StateId.decode(r));
            case Nfs4.OP_GETATTR -> new Getattr(r.readIntArray(MAX_BITMAP_WORDS));
            case Nfs4.OP_GETFH, Nfs4.OP_LOOKUPP, Nfs4.OP_PUTPUBFH, Nfs4.OP_PUTROOTFH, Nfs4.OP_READLINK,
                 Nfs4.OP_RESTOREFH, Nfs4.OP_SAVEFH -> null;
            case Nfs4.OP_LOCK -> decodeLock(r);
            case Nfs4.OP_LOCKT -> new Lockt(r.readInt(), r.readLong(), r.readLong(), decodeLockOwner(r));
            case Nfs4.OP_LOCKU -> new Locku(r.readInt(), r.readInt(), StateId.decode(r), r.readLong(), r.readLong());
            case Nfs4.OP_RELEASE_LOCKOWNER -> new ReleaseLockowner(decodeLockOwner(r));
            case Nfs4.OP_LOOKUP -> new Lookup(readComponent(r));
            case Nfs4.OP_NVERIFY, Nfs4.OP_VERIFY -> new Verify(Fattr.decode(r));
            case Nfs4.OP_OPEN -> decodeOpen(r);
            case Nfs4.OP_OPEN_CONFIRM -> new OpenConfirm(StateId.decode(r), r.readInt());
            case Nfs4.OP_OPEN_DOWNGRADE -> new OpenDowngrade(StateId.decode(r), r.readInt(), r.readInt(), r.readInt());
            case Nfs4.OP_PUTFH -> new Putfh(r.readOpaque(Nfs4.FHSIZE));
            case Nfs4.OP_WRITE -> new Write(StateId.decode(r), r.readLong(), r.readInt(),
                    r.readOpaqueView(Integer.MAX_VALUE));
            case Nfs4.OP_COMMIT -> new Commit(r.readLong(), r.readInt());
            case Nfs4.OP_CREATE -> decodeCreate(r);
            case Nfs4.OP_REMOVE -> new Remove(readComponent(r));
            case Nfs4.OP_LINK -> new Link(readComponent(r));
            case Nfs4.OP_RENAME -> new Rename(readComponent(r), readComponent(r));
            case Nfs4.OP_READ -> new Read(StateId.decode(r), r.readLong(), r.readInt());
            case Nfs4.OP_READDIR -> new Readdir(r.readLong(), r.readFixedOpaque(Nfs4.VERIFIER_SIZE), r.readInt(),
                    r.readInt(), r.readIntArray(MAX_BITMAP_WORDS));
            case Nfs4.OP_RENEW -> new Renew(r.readLong());
            case Nfs4.OP_SECINFO -> new Secinfo(readComponent(r));
            case Nfs4.OP_SETATTR -> new Setattr(StateId.decode(r), Fattr.decode(r));
            case Nfs4.OP_SECINFO_NO_NAME -> new SecinfoNoName(r.readInt());
            case Nfs4.OP_SETCLIENTID -> new Setclientid(r.readFixedOpaque(Nfs4.VERIFIER_SIZE),
                    r.readOpaque(Nfs4.OPAQUE_LIMIT), r.readInt(), r.readUtf8(MAX_NAME_BYTES),
                    r.readUtf8(MAX_NAME_BYTES), r.readInt());
            case Nfs4.OP_SETCLIENTID_CONFIRM -> new SetclientidConfirm(r.readLong(),
                    r.readFixedOpaque(Nfs4.VERIFIER_SIZE));
            case Nfs4.OP_EXCHANGE_ID -> decodeExchangeId(r);
            case Nfs4.OP_CREATE_SESSION -> decodeCreateSession(r);
            case Nfs4.OP_SEQUENCE -> new Sequence(r.readFixedOpaque(Nfs4.SESSIONID_SIZE), r.readInt(), r.readInt(),
                    r.readInt(), r.readBool());
            case Nfs4.OP_DESTROY_SESSION -> new DestroySession(r.readFixedOpaque(Nfs4.SESSIONID_SIZE));
            case Nfs4.OP_DESTROY_CLIENTID -> new DestroyClientid(r.readLong());
            case Nfs4.OP_BIND_CONN_TO_SESSION -> new BindConnToSession(r.readFixedOpaque(Nfs4.SESSIONID_SIZE),
                    r.readInt(), r.readBool());
            case Nfs4.OP_RECLAIM_COMPLETE -> new ReclaimComplete(r.readBool());
            case Nfs4.OP_TEST_STATEID -> {
                int n = r.readCount(16, MAX_STATEIDS);
                StateId[] ids = new StateId[n];
                for (int i = 0; i < n; i++) {
                    ids[i] = StateId.decode(r);
                }
                yield new TestStateid(ids);
            }
            case Nfs4.OP_FREE_STATEID -> new FreeStateid(StateId.decode(r));
            default -> throw new IllegalArgumentException("no decoder for opcode " + opcode);
        };
    }

    private static Open decodeOpen(XdrReader r) throws XdrException {
        int seqid = r.readInt();
        int access = r.readInt();
        int deny = r.readInt();
        OpenOwner owner = new OpenOwner(r.readLong(), r.readOpaque(Nfs4.OPAQUE_LIMIT));
        int opentype = r.readInt();
        int createMode = -1;
        Fattr attrs = null;
        byte[] verifier = null;
        if (opentype == Nfs4.OPEN4_CREATE) {
            createMode = r.readInt();
            switch (createMode) {
                case Nfs4.UNCHECKED4, Nfs4.GUARDED4 -> attrs = Fattr.decode(r);
                case Nfs4.EXCLUSIVE4 -> verifier = r.readFixedOpaque(Nfs4.VERIFIER_SIZE);
                case Nfs4.EXCLUSIVE4_1 -> {
                    verifier = r.readFixedOpaque(Nfs4.VERIFIER_SIZE);
                    attrs = Fattr.decode(r);
                }
                default -> throw new XdrException("bad createmode4 " + createMode);
            }
        } else if (opentype != Nfs4.OPEN4_NOCREATE) {
            throw new XdrException("bad opentype4 " + opentype);
        }
        int claim = r.readInt();
        byte[] name = null;
        int delegateType = 0;
        switch (claim) {
            case Nfs4.CLAIM_NULL, Nfs4.CLAIM_DELEGATE_PREV -> name = readComponent(r);
            case Nfs4.CLAIM_PREVIOUS -> delegateType = r.readInt();
            case Nfs4.CLAIM_DELEGATE_CUR -> {
                StateId.decode(r);
                name = readComponent(r);
            }
            case Nfs4.CLAIM_FH, Nfs4.CLAIM_DELEG_PREV_FH -> {
            }
            case Nfs4.CLAIM_DELEG_CUR_FH -> StateId.decode(r);
            default -> throw new XdrException("bad open_claim_type4 " + claim);
        }
        return new Open(seqid, access, deny, owner, opentype, createMode, attrs, verifier, claim, name,
                delegateType);
    }

    private static Create decodeCreate(XdrReader r) throws XdrException {
        int type = r.readInt();
        switch (type) {
            case Nfs4.NF4LNK -> r.readOpaque(Integer.MAX_VALUE);
            case Nfs4.NF4BLK, Nfs4.NF4CHR -> {
                r.readInt();
                r.readInt();
            }
            default -> {
            }
        }
        byte[] name = readComponent(r);
        return new Create(type, name, Fattr.decode(r));
    }

    /** A component4: any length the request holds, any bytes; the operation checks it. */
    private static byte[] readComponent(XdrReader r) throws XdrException {
        return r.readOpaque(Integer.MAX_VALUE);
    }

    private static LockOwner decodeLockOwner(XdrReader r) throws XdrException {
        return new LockOwner(r.readLong(), r.readOpaque(Nfs4.OPAQUE_LIMIT));
    }

    private static Lock decodeLock(XdrReader r) throws XdrException {
        int type = r.readInt();
        boolean reclaim = r.readBool();
        long offset = r.readLong();
        long length = r.readLong();
        Locker locker = r.readBool()
                ? new OpenToLockOwner(r.readInt(), StateId.decode(r), r.readInt(), decodeLockOwner(r))
                : new ExistLockOwner(StateId.decode(r), r.readInt());
        return new Lock(type, reclaim, offset, length, locker);
    }

    private static ExchangeId decodeExchangeId(XdrReader r) throws XdrException {
        byte[] verifier = r.readFixedOpaque(Nfs4.VERIFIER_SIZE);
        byte[] owner = r.readOpaque(Nfs4.OPAQUE_LIMIT);
        int flags = r.readInt();
        int how = r.readInt();
        switch (how) {
            case Nfs4.SP4_NONE -> {
            }
            case Nfs4.SP4_MACH_CRED -> {
                r.readIntArray(MAX_BITMAP_WORDS);
                r.readIntArray(MAX_BITMAP_WORDS);
            }
            case Nfs4.SP4_SSV -> {
                r.readIntArray(MAX_BITMAP_WORDS);
                r.readIntArray(MAX_BITMAP_WORDS);
                int nHash = r.readCount(4, 64);
                for (int i = 0; i < nHash; i++) {
                    r.readOpaque(Nfs4.OPAQUE_LIMIT);
                }
                int nEncr = r.readCount(4, 64);
                for (int i = 0; i < nEncr; i++) {
                    r.readOpaque(Nfs4.OPAQUE_LIMIT);
                }
                r.readInt();
                r.readInt();
            }
            default -> throw new XdrException("bad state_protect_how4 " + how);
        }
        String domain = "";
        String name = "";
        int nImpl = r.readCount(16, 1);
        if (nImpl == 1) {
            domain = r.readUtf8(MAX_NAME_BYTES);
            name = r.readUtf8(MAX_NAME_BYTES);
            r.readLong();
            r.readInt();
        }
        return new ExchangeId(verifier, owner, flags, how, domain, name);
    }

    private static CreateSession decodeCreateSession(XdrReader r) throws XdrException {
        long clientid = r.readLong();
        int seq = r.readInt();
        int flags = r.readInt();
        ChannelAttrs fore = ChannelAttrs.decode(r);
        ChannelAttrs back = ChannelAttrs.decode(r);
        int cbProgram = r.readInt();
        int nSec = r.readCount(4, 16);
        for (int i = 0; i < nSec; i++) {
            int flavor = r.readInt();
            switch (flavor) {
                case Nfs4.AUTH_NONE -> {
                }
                case Nfs4.AUTH_SYS -> {
                    r.readInt();
                    r.readUtf8(255);
                    r.readInt();
                    r.readInt();
                    r.readIntArray(16);
                }
                case Nfs4.RPCSEC_GSS -> {
                    r.readInt();
                    r.readOpaque(Nfs4.OPAQUE_LIMIT);
                    r.readOpaque(Nfs4.OPAQUE_LIMIT);
                }
                default -> throw new XdrException("bad callback security flavor " + flavor);
            }
        }
        return new CreateSession(clientid, seq, flags, fore, back, cbProgram);
    }
}
