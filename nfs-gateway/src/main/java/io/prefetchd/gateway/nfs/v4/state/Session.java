package io.prefetchd.gateway.nfs.v4.state;

import io.prefetchd.gateway.nfs.xdr.Args.ChannelAttrs;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import org.jspecify.annotations.Nullable;

/**
 * An NFSv4.1 session: its client, the channel attributes agreed by CREATE_SESSION, and the fore channel's slot
 * table with one cached reply per slot (RFC 8881 section 2.10.6). Slots are guarded by this object's monitor.
 */
public final class Session {
    final byte[] id;
    final ClientRecord client;
    final ChannelAttrs fore;
    final ChannelAttrs back;
    final int flags;
    private final Slot[] slots;

    Session(byte[] id, ClientRecord client, ChannelAttrs fore, ChannelAttrs back, int flags) {
        this.id = id;
        this.client = client;
        this.fore = fore;
        this.back = back;
        this.flags = flags;
        this.slots = new Slot[fore.maxRequests()];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new Slot();
        }
    }

    public byte[] id() {
        return id.clone();
    }

    public ClientRecord client() {
        return client;
    }

    public ChannelAttrs fore() {
        return fore;
    }

    public ChannelAttrs back() {
        return back;
    }

    public int flags() {
        return flags;
    }

    public int highestSlot() {
        return slots.length - 1;
    }

    /** What SEQUENCE decided for a request on a slot. */
    public sealed interface SlotDecision {
        /** A new request: execute it, then {@link Session#complete}. */
        record Execute(int slot) implements SlotDecision {}

        /** A retransmission of the last request: send this cached reply again. */
        record Replay(byte[] reply) implements SlotDecision {}
    }

    /**
     * Checks {@code seqid} against the slot (RFC 8881 section 2.10.6.1).
     *
     * @return the decision, or null with {@code error[0]} set to the NFS status name to answer
     */
    public synchronized @Nullable SlotDecision begin(int slotId, int seqid, NfsStatus[] error) {
        if (slotId < 0 || slotId >= slots.length) {
            error[0] = NfsStatus.NFS4ERR_BADSLOT;
            return null;
        }
        Slot s = slots[slotId];
        if (seqid == s.seqid + 1) {
            if (s.inUse) {
                error[0] = NfsStatus.NFS4ERR_DELAY;
                return null;
            }
            s.inUse = true;
            return new SlotDecision.Execute(slotId);
        }
        if (seqid == s.seqid) {
            if (s.inUse) {
                error[0] = NfsStatus.NFS4ERR_DELAY;
                return null;
            }
            if (s.reply == null) {
                error[0] = NfsStatus.NFS4ERR_RETRY_UNCACHED_REP;
                return null;
            }
            return new SlotDecision.Replay(s.reply.clone());
        }
        error[0] = NfsStatus.NFS4ERR_SEQ_MISORDERED;
        return null;
    }

    /** Ends a request begun with {@link #begin}: the slot's seqid advances and the reply is kept if asked. */
    public synchronized void complete(int slotId, byte @Nullable [] replyOrNull) {
        Slot s = slots[slotId];
        s.seqid++;
        s.inUse = false;
        s.reply = replyOrNull;
    }

    /** Releases a slot without advancing it (the SEQUENCE op itself failed after begin). */
    public synchronized void abandon(int slotId) {
        slots[slotId].inUse = false;
    }

    private static final class Slot {
        int seqid;
        boolean inUse;
        byte @Nullable [] reply;
    }
}
