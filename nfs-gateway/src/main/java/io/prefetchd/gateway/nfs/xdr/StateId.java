package io.prefetchd.gateway.nfs.xdr;

import java.util.Arrays;
import java.util.HexFormat;

/** stateid4: a sequence number and 12 opaque bytes. */
public record StateId(int seqid, byte[] other) {
    public static final StateId ANONYMOUS = new StateId(0, new byte[12]);
    public static final StateId INVALID = new StateId(0xffffffff, new byte[12]);

    public StateId {
        if (other.length != Nfs4.STATEID_OTHER_SIZE) {
            throw new IllegalArgumentException("stateid other must be 12 bytes");
        }
    }

    public static StateId decode(XdrReader r) throws XdrException {
        return new StateId(r.readInt(), r.readFixedOpaque(Nfs4.STATEID_OTHER_SIZE));
    }

    public void encode(XdrWriter w) {
        w.writeInt(seqid).writeFixedOpaque(other);
    }

    public boolean otherIsAll(int b) {
        for (byte x : other) {
            if (x != (byte) b) {
                return false;
            }
        }
        return true;
    }

    /** All-zero (anonymous) or all-ones (READ bypass) special stateids: reads without an open. */
    public boolean isAnonymousOrBypass() {
        return (seqid == 0 && otherIsAll(0)) || (seqid == -1 && otherIsAll(0xff));
    }

    /** The 4.1 "current stateid" (seqid 1, other all zero). */
    public boolean isCurrent() {
        return seqid == 1 && otherIsAll(0);
    }

    public StateId withSeqid(int s) {
        return new StateId(s, other);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StateId s && s.seqid == seqid && Arrays.equals(s.other, other);
    }

    @Override
    public int hashCode() {
        return 31 * seqid + Arrays.hashCode(other);
    }

    @Override
    public String toString() {
        return "StateId[" + Integer.toUnsignedString(seqid) + ":" + HexFormat.of().formatHex(other) + "]";
    }
}
