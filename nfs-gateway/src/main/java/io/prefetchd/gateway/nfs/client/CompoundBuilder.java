package io.prefetchd.gateway.nfs.client;

import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.Attr;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.StateId;
import io.prefetchd.gateway.nfs.xdr.XdrWriter;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Builds the XDR of a COMPOUND request, fluently: {@code new CompoundBuilder(1).sequence(...).putrootfh()
 * .lookup("a").getfh().build()}. Used by prefetchd's own NFS client (tests and benchmarks). Not thread-safe.
 */
public final class CompoundBuilder {
    private final XdrWriter w = new XdrWriter(256);
    private final int countAt;
    private final List<Integer> opcodes = new ArrayList<>();

    public CompoundBuilder(int minorVersion) {
        this(minorVersion, "");
    }

    public CompoundBuilder(int minorVersion, String tag) {
        w.writeUtf8(tag).writeInt(minorVersion);
        countAt = w.position();
        w.writeInt(0);
    }

    private CompoundBuilder op(int opcode) {
        opcodes.add(opcode);
        w.writeInt(opcode);
        return this;
    }

    /** The opcodes added so far, in order. */
    public List<Integer> opcodes() {
        return List.copyOf(opcodes);
    }

    public CompoundBuilder sequence(byte[] sessionId, int seqid, int slot, int highestSlot, boolean cacheThis) {
        op(Nfs4.OP_SEQUENCE);
        w.writeFixedOpaque(sessionId).writeInt(seqid).writeInt(slot).writeInt(highestSlot).writeBool(cacheThis);
        return this;
    }

    public CompoundBuilder exchangeId(byte[] verifier, byte[] owner, int flags) {
        op(Nfs4.OP_EXCHANGE_ID);
        w.writeFixedOpaque(verifier).writeOpaque(owner).writeInt(flags).writeInt(Nfs4.SP4_NONE).writeInt(0);
        return this;
    }

    public CompoundBuilder createSession(long clientId, int sequence, int maxOps, int maxReqs, int maxResp) {
        op(Nfs4.OP_CREATE_SESSION);
        w.writeLong(clientId).writeInt(sequence).writeInt(Nfs4.CREATE_SESSION4_FLAG_CONN_BACK_CHAN);
        w.writeInt(0).writeInt(maxResp + 1024).writeInt(maxResp).writeInt(8192).writeInt(maxOps).writeInt(maxReqs)
                .writeInt(0);
        w.writeInt(0).writeInt(4096).writeInt(4096).writeInt(0).writeInt(2).writeInt(1).writeInt(0);
        w.writeInt(0x40000000).writeInt(1).writeInt(Nfs4.AUTH_NONE);
        return this;
    }

    /** CREATE_SESSION with every channel attribute and flag given (AUTH_NONE callback security). */
    public CompoundBuilder createSession(long clientId, int sequence, int flags, Args.ChannelAttrs fore,
                                         Args.ChannelAttrs back) {
        op(Nfs4.OP_CREATE_SESSION);
        w.writeLong(clientId).writeInt(sequence).writeInt(flags);
        fore.encode(w);
        back.encode(w);
        w.writeInt(0x40000000).writeInt(1).writeInt(Nfs4.AUTH_NONE);
        return this;
    }

    public CompoundBuilder destroySession(byte[] sessionId) {
        op(Nfs4.OP_DESTROY_SESSION);
        w.writeFixedOpaque(sessionId);
        return this;
    }

    public CompoundBuilder destroyClientId(long clientId) {
        op(Nfs4.OP_DESTROY_CLIENTID);
        w.writeLong(clientId);
        return this;
    }

    public CompoundBuilder reclaimComplete(boolean oneFs) {
        op(Nfs4.OP_RECLAIM_COMPLETE);
        w.writeBool(oneFs);
        return this;
    }

    public CompoundBuilder setclientid(byte[] verifier, byte[] id) {
        op(Nfs4.OP_SETCLIENTID);
        w.writeFixedOpaque(verifier).writeOpaque(id).writeInt(0x40000000).writeUtf8("tcp")
                .writeUtf8("127.0.0.1.0.0").writeInt(1);
        return this;
    }

    public CompoundBuilder setclientidConfirm(long clientId, byte[] confirm) {
        op(Nfs4.OP_SETCLIENTID_CONFIRM);
        w.writeLong(clientId).writeFixedOpaque(confirm);
        return this;
    }

    public CompoundBuilder renew(long clientId) {
        op(Nfs4.OP_RENEW);
        w.writeLong(clientId);
        return this;
    }

    public CompoundBuilder putrootfh() {
        return op(Nfs4.OP_PUTROOTFH);
    }

    public CompoundBuilder putfh(byte[] fh) {
        op(Nfs4.OP_PUTFH);
        w.writeOpaque(fh);
        return this;
    }

    public CompoundBuilder getfh() {
        return op(Nfs4.OP_GETFH);
    }

    public CompoundBuilder savefh() {
        return op(Nfs4.OP_SAVEFH);
    }

    public CompoundBuilder restorefh() {
        return op(Nfs4.OP_RESTOREFH);
    }

    public CompoundBuilder lookup(String name) {
        op(Nfs4.OP_LOOKUP);
        w.writeUtf8(name);
        return this;
    }

    public CompoundBuilder lookupp() {
        return op(Nfs4.OP_LOOKUPP);
    }

    public CompoundBuilder getattr(int... attrs) {
        op(Nfs4.OP_GETATTR);
        w.writeIntArray(bitmap(attrs));
        return this;
    }

    public CompoundBuilder access(int bits) {
        op(Nfs4.OP_ACCESS);
        w.writeInt(bits);
        return this;
    }

    public CompoundBuilder verify(boolean negate, int[] mask, byte[] values) {
        op(negate ? Nfs4.OP_NVERIFY : Nfs4.OP_VERIFY);
        w.writeIntArray(mask).writeOpaque(values);
        return this;
    }

    public CompoundBuilder readdir(long cookie, long verifier, int dircount, int maxcount, int... attrs) {
        op(Nfs4.OP_READDIR);
        w.writeLong(cookie).writeLong(verifier).writeInt(dircount).writeInt(maxcount).writeIntArray(bitmap(attrs));
        return this;
    }

    public CompoundBuilder setattr(StateId stateId, int[] mask, byte[] values) {
        op(Nfs4.OP_SETATTR);
        stateId.encode(w);
        w.writeIntArray(mask).writeOpaque(values);
        return this;
    }

    public CompoundBuilder readlink() {
        return op(Nfs4.OP_READLINK);
    }

    /** OPEN for reading, no create; {@code name} null means CLAIM_FH (4.1). */
    public CompoundBuilder open(int seqid, long clientId, byte[] owner, int access, int deny, String name) {
        op(Nfs4.OP_OPEN);
        w.writeInt(seqid).writeInt(access).writeInt(deny).writeLong(clientId).writeOpaque(owner);
        w.writeInt(Nfs4.OPEN4_NOCREATE);
        if (name == null) {
            w.writeInt(Nfs4.CLAIM_FH);
        } else {
            w.writeInt(Nfs4.CLAIM_NULL).writeUtf8(name);
        }
        return this;
    }

    /** OPEN with OPEN4_CREATE (UNCHECKED4, empty attributes): a read-only export refuses it. */
    public CompoundBuilder openCreate(int seqid, long clientId, byte[] owner, String name) {
        op(Nfs4.OP_OPEN);
        w.writeInt(seqid).writeInt(Nfs4.OPEN4_SHARE_ACCESS_BOTH).writeInt(0).writeLong(clientId).writeOpaque(owner);
        w.writeInt(Nfs4.OPEN4_CREATE).writeInt(Nfs4.UNCHECKED4).writeInt(0).writeInt(0);
        w.writeInt(Nfs4.CLAIM_NULL).writeUtf8(name);
        return this;
    }

    /**
     * OPEN with OPEN4_CREATE by name: {@code createMode} UNCHECKED4 or GUARDED4 with {@code attrs},
     * EXCLUSIVE4 with {@code verifier}, EXCLUSIVE4_1 with both.
     */
    public CompoundBuilder openCreate(int seqid, long clientId, byte[] owner, int access, int createMode,
                                      Sattr attrs, long verifier, String name) {
        op(Nfs4.OP_OPEN);
        w.writeInt(seqid).writeInt(access).writeInt(0).writeLong(clientId).writeOpaque(owner);
        w.writeInt(Nfs4.OPEN4_CREATE).writeInt(createMode);
        switch (createMode) {
            case Nfs4.UNCHECKED4, Nfs4.GUARDED4 -> attrs.encode(w);
            case Nfs4.EXCLUSIVE4 -> w.writeLong(verifier);
            default -> {
                w.writeLong(verifier);
                attrs.encode(w);
            }
        }
        w.writeInt(Nfs4.CLAIM_NULL).writeUtf8(name);
        return this;
    }

    /** WRITE of {@code data}, which is sent as it is, not copied: it must not change until the call is sent. */
    public CompoundBuilder write(StateId stateId, long offset, int stable, byte[] data) {
        op(Nfs4.OP_WRITE);
        stateId.encode(w);
        w.writeLong(offset).writeInt(stable).writeOpaqueShared(data);
        return this;
    }

    public CompoundBuilder commit(long offset, int count) {
        op(Nfs4.OP_COMMIT);
        w.writeLong(offset).writeInt(count);
        return this;
    }

    /** CREATE of {@code type} (a symbolic link gets the target "target", a device numbers 0 0). */
    public CompoundBuilder create(int type, String name, Sattr attrs) {
        op(Nfs4.OP_CREATE);
        w.writeInt(type);
        if (type == Nfs4.NF4LNK) {
            w.writeUtf8("target");
        } else if (type == Nfs4.NF4BLK || type == Nfs4.NF4CHR) {
            w.writeInt(0).writeInt(0);
        }
        w.writeUtf8(name);
        attrs.encode(w);
        return this;
    }

    public CompoundBuilder remove(String name) {
        op(Nfs4.OP_REMOVE);
        w.writeUtf8(name);
        return this;
    }

    /** RENAME from the saved handle's directory to the current one's. */
    public CompoundBuilder rename(String oldName, String newName) {
        op(Nfs4.OP_RENAME);
        w.writeUtf8(oldName).writeUtf8(newName);
        return this;
    }

    /** LINK of the saved handle's file as {@code name} in the current directory. */
    public CompoundBuilder link(String name) {
        op(Nfs4.OP_LINK);
        w.writeUtf8(name);
        return this;
    }

    public CompoundBuilder setattr(StateId stateId, Sattr attrs) {
        op(Nfs4.OP_SETATTR);
        stateId.encode(w);
        attrs.encode(w);
        return this;
    }

    /**
     * Attributes to set (fattr4 of SETATTR, OPEN's createattrs, CREATE), written in attribute order whatever order
     * they are given in.
     */
    public static final class Sattr {
        private final TreeMap<Integer, Consumer<XdrWriter>> values = new TreeMap<>();

        public Sattr size(long size) {
            values.put(Attr.SIZE, x -> x.writeLong(size));
            return this;
        }

        public Sattr mode(int mode) {
            values.put(Attr.MODE, x -> x.writeInt(mode));
            return this;
        }

        public Sattr owner(String owner) {
            values.put(Attr.OWNER, x -> x.writeUtf8(owner));
            return this;
        }

        public Sattr group(String group) {
            values.put(Attr.OWNER_GROUP, x -> x.writeUtf8(group));
            return this;
        }

        /** time_access_set; null means the server's time. */
        public Sattr atime(Instant t) {
            values.put(Attr.TIME_ACCESS_SET, x -> time(x, t));
            return this;
        }

        /** time_modify_set; null means the server's time. */
        public Sattr mtime(Instant t) {
            values.put(Attr.TIME_MODIFY_SET, x -> time(x, t));
            return this;
        }

        /** Any attribute with raw value words (for attributes that cannot be set). */
        public Sattr raw(int attr, int... words) {
            values.put(attr, x -> {
                for (int v : words) {
                    x.writeInt(v);
                }
            });
            return this;
        }

        private static void time(XdrWriter x, Instant t) {
            if (t == null) {
                x.writeInt(Nfs4.SET_TO_SERVER_TIME4);
            } else {
                x.writeInt(Nfs4.SET_TO_CLIENT_TIME4).writeLong(t.getEpochSecond()).writeInt(t.getNano());
            }
        }

        void encode(XdrWriter out) {
            XdrWriter v = new XdrWriter(64);
            values.values().forEach(c -> c.accept(v));
            out.writeIntArray(bitmap(values.keySet().stream().mapToInt(Integer::intValue).toArray()));
            out.writeOpaque(v.toByteArray());
        }
    }

    public CompoundBuilder openPrevious(int seqid, long clientId, byte[] owner) {
        op(Nfs4.OP_OPEN);
        w.writeInt(seqid).writeInt(Nfs4.OPEN4_SHARE_ACCESS_READ).writeInt(0).writeLong(clientId).writeOpaque(owner);
        w.writeInt(Nfs4.OPEN4_NOCREATE).writeInt(Nfs4.CLAIM_PREVIOUS).writeInt(0);
        return this;
    }

    public CompoundBuilder openConfirm(StateId stateId, int seqid) {
        op(Nfs4.OP_OPEN_CONFIRM);
        stateId.encode(w);
        w.writeInt(seqid);
        return this;
    }

    public CompoundBuilder openDowngrade(StateId stateId, int seqid, int access, int deny) {
        op(Nfs4.OP_OPEN_DOWNGRADE);
        stateId.encode(w);
        w.writeInt(seqid).writeInt(access).writeInt(deny);
        return this;
    }

    public CompoundBuilder read(StateId stateId, long offset, int count) {
        op(Nfs4.OP_READ);
        stateId.encode(w);
        w.writeLong(offset).writeInt(count);
        return this;
    }

    public CompoundBuilder close(int seqid, StateId stateId) {
        op(Nfs4.OP_CLOSE);
        w.writeInt(seqid);
        stateId.encode(w);
        return this;
    }

    /** LOCK with open_to_lock_owner4: the first lock of a lock-owner on a file, under an open. */
    public CompoundBuilder lockNew(int lockType, long offset, long length, int openSeqid, StateId openStateId,
                                   int lockSeqid, long clientId, byte[] lockOwner) {
        op(Nfs4.OP_LOCK);
        w.writeInt(lockType).writeBool(false).writeLong(offset).writeLong(length).writeBool(true);
        w.writeInt(openSeqid);
        openStateId.encode(w);
        w.writeInt(lockSeqid).writeLong(clientId).writeOpaque(lockOwner);
        return this;
    }

    /** LOCK with exist_lock_owner4: a further lock under a lock stateid. */
    public CompoundBuilder lockExisting(int lockType, long offset, long length, StateId lockStateId, int lockSeqid) {
        op(Nfs4.OP_LOCK);
        w.writeInt(lockType).writeBool(false).writeLong(offset).writeLong(length).writeBool(false);
        lockStateId.encode(w);
        w.writeInt(lockSeqid);
        return this;
    }

    /** LOCK with the reclaim flag (after a server restart, within its grace period). */
    public CompoundBuilder lockReclaim(int lockType, long offset, long length, StateId lockStateId, int lockSeqid) {
        op(Nfs4.OP_LOCK);
        w.writeInt(lockType).writeBool(true).writeLong(offset).writeLong(length).writeBool(false);
        lockStateId.encode(w);
        w.writeInt(lockSeqid);
        return this;
    }

    public CompoundBuilder lockt(int lockType, long offset, long length, long clientId, byte[] lockOwner) {
        op(Nfs4.OP_LOCKT);
        w.writeInt(lockType).writeLong(offset).writeLong(length).writeLong(clientId).writeOpaque(lockOwner);
        return this;
    }

    public CompoundBuilder locku(int lockType, int seqid, StateId lockStateId, long offset, long length) {
        op(Nfs4.OP_LOCKU);
        w.writeInt(lockType).writeInt(seqid);
        lockStateId.encode(w);
        w.writeLong(offset).writeLong(length);
        return this;
    }

    public CompoundBuilder releaseLockowner(long clientId, byte[] lockOwner) {
        op(Nfs4.OP_RELEASE_LOCKOWNER);
        w.writeLong(clientId).writeOpaque(lockOwner);
        return this;
    }

    public CompoundBuilder secinfo(String name) {
        op(Nfs4.OP_SECINFO);
        w.writeUtf8(name);
        return this;
    }

    public CompoundBuilder secinfoNoName(int style) {
        op(Nfs4.OP_SECINFO_NO_NAME);
        w.writeInt(style);
        return this;
    }

    public CompoundBuilder testStateid(StateId... ids) {
        op(Nfs4.OP_TEST_STATEID);
        w.writeInt(ids.length);
        for (StateId id : ids) {
            id.encode(w);
        }
        return this;
    }

    public CompoundBuilder freeStateid(StateId id) {
        op(Nfs4.OP_FREE_STATEID);
        id.encode(w);
        return this;
    }

    public CompoundBuilder bindConnToSession(byte[] sessionId, int dir) {
        op(Nfs4.OP_BIND_CONN_TO_SESSION);
        w.writeFixedOpaque(sessionId).writeInt(dir).writeBool(false);
        return this;
    }

    /** An operation with raw argument words, for unknown or unsupported opcodes. */
    public CompoundBuilder raw(int opcode, int... argWords) {
        op(opcode);
        for (int a : argWords) {
            w.writeInt(a);
        }
        return this;
    }

    public byte[] build() {
        return encoded().toByteArray();
    }

    /** The COMPOUND as a writer, WRITE payloads not copied into it (see {@link XdrWriter#writeOpaqueShared}). */
    public XdrWriter encoded() {
        w.patchInt(countAt, opcodes.size());
        return w;
    }

    public static int[] bitmap(int... attrs) {
        int max = 0;
        for (int a : attrs) {
            max = Math.max(max, a);
        }
        int[] words = new int[attrs.length == 0 ? 0 : max / 32 + 1];
        for (int a : attrs) {
            words[a / 32] |= 1 << (a % 32);
        }
        return words;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
