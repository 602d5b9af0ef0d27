package io.prefetchd.gateway.nfs.v4.state;

import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Byte-range locks (RFC 8881 sections 9, 18.10-18.12; RFC 7530 sections 9, 16.10-16.12 and 16.37), as POSIX
 * record locks: read locks are shared, write locks exclusive, between lock-owners; one owner's own locks never
 * conflict and are combined as {@link RangeSet} describes. Locks are advisory (READ never checks them) and live
 * only in memory, for as long as their client's lease: a restarted gateway, or an expired client, has none.
 *
 * <p><b>Shape.</b> A {@link LockOwner} belongs to one client; it holds one {@link LockState} (one lock stateid)
 * per file, made from one of the client's opens of that file by LOCK with {@code open_to_lock_owner4}. The lock
 * state must be empty for its open to be closed (NFS4ERR_LOCKS_HELD), and an empty one goes away with that CLOSE,
 * with FREE_STATEID (4.1) or with RELEASE_LOCKOWNER (4.0).
 *
 * <p><b>Expired holders.</b> A client whose lease ran out loses its locks when the lease reaper runs, and also at
 * the moment another client's request meets one of them, so a dead client never blocks a live one for longer
 * than its lease.
 *
 * <p><b>Thread-safety.</b> Every method runs under the {@link NfsState} monitor, the one that guards clients and
 * opens, so a lock changes atomically with the open and the client it hangs off.
 */
public final class ByteRangeLocks {
    private final NfsState state;
    private final Map<ClientRecord, Map<ByteBuffer, LockOwner>> owners = new HashMap<>();
    private final Map<ByteBuffer, LockState> byOther = new HashMap<>();
    private final Map<Inode, List<LockState>> byInode = new HashMap<>();
    private int held;

    ByteRangeLocks(NfsState state) {
        this.state = state;
    }

    /** What LOCK did: granted, with the lock stateid after the change, or denied by another owner's lock. */
    public sealed interface Outcome {
        record Granted(StateId stateId) implements Outcome {}

        record Denied(Conflict conflict) implements Outcome {}
    }

    /** A lock of another owner that stands in the way: its range and type, and its owner as LOCK4denied names it. */
    public record Conflict(LockRange range, long clientId, byte[] owner) {}

    /** The client's lock-owner with these bytes, created when it is new. */
    public LockOwner owner(ClientRecord client, byte[] owner) {
        synchronized (state) {
            return owners.computeIfAbsent(client, c -> new HashMap<>())
                    .computeIfAbsent(ByteBuffer.wrap(owner.clone()), k -> new LockOwner(client, owner));
        }
    }

    /** Whether {@code owner} already has a lock stateid for {@code file}. */
    public boolean hasState(LockOwner owner, Inode file) {
        synchronized (state) {
            return stateOf(owner, file) != null;
        }
    }

    /**
     * LOCK: takes {@code range} for {@code owner} under {@code open}, or names the conflicting lock.
     *
     * @throws NfsException NFS4ERR_OPENMODE when the open's access does not allow the lock type (a write lock needs
     *     an open for writing, a read lock one for reading), NFS4ERR_BAD_STATEID when the open was closed meanwhile
     */
    public Outcome lock(LockOwner owner, OpenState open, LockRange range) throws NfsException {
        synchronized (state) {
            if (open.closed) {
                throw new NfsException(NfsStatus.NFS4ERR_BAD_STATEID, "the open was closed");
            }
            int needed = range.write() ? Nfs4.OPEN4_SHARE_ACCESS_WRITE : Nfs4.OPEN4_SHARE_ACCESS_READ;
            if ((open.access & needed) == 0) {
                throw new NfsException(NfsStatus.NFS4ERR_OPENMODE, (range.write() ? "write" : "read")
                        + " lock on a file not open for " + (range.write() ? "writing" : "reading"));
            }
            Conflict conflict = conflict(open.inode, owner, range);
            if (conflict != null) {
                return new Outcome.Denied(conflict);
            }
            LockState ls = stateOf(owner, open.inode);
            if (ls == null) {
                byte[] other = ByteBuffer.allocate(Nfs4.STATEID_OTHER_SIZE).putInt(state.bootId())
                        .putLong(state.nextId()).array();
                ls = new LockState(other, owner, open);
                owner.states.add(ls);
                byOther.put(ByteBuffer.wrap(other), ls);
                byInode.computeIfAbsent(ls.inode, k -> new ArrayList<>()).add(ls);
            }
            replace(ls, RangeSet.put(ls.ranges, range));
            return new Outcome.Granted(ls.stateId());
        }
    }

    /** LOCKT: the lock of another owner than ({@code client}, {@code owner}) that conflicts with {@code range}. */
    public @Nullable Conflict test(ClientRecord client, byte[] owner, Inode file, LockRange range) {
        synchronized (state) {
            Map<ByteBuffer, LockOwner> mine = owners.get(client);
            LockOwner me = mine == null ? null : mine.get(ByteBuffer.wrap(owner));
            return conflict(file, me, range);
        }
    }

    /** LOCKU: releases {@code range} (whatever its type) and returns the lock stateid after the change. */
    public StateId unlock(LockState ls, LockRange range) throws NfsException {
        synchronized (state) {
            if (byOther.get(ByteBuffer.wrap(ls.other)) != ls) {
                throw new NfsException(NfsStatus.NFS4ERR_BAD_STATEID, "lock stateid was freed");
            }
            replace(ls, RangeSet.subtract(ls.ranges, range));
            return ls.stateId();
        }
    }

    /**
     * The lock state a stateid names, checked as RFC 8881 section 8.2.2 says (seqid 0 is "the current one" in 4.1,
     * an older seqid NFS4ERR_OLD_STATEID, a newer one NFS4ERR_BAD_STATEID), or null when it names no lock state of
     * this server instance (it may be an open stateid).
     */
    public @Nullable LockState find(StateId id, int minorVersion) throws NfsException {
        synchronized (state) {
            LockState ls = byOther.get(ByteBuffer.wrap(id.other()));
            if (ls == null) {
                return null;
            }
            if (minorVersion >= 1 && id.seqid() == 0) {
                return ls;
            }
            if (Integer.compareUnsigned(id.seqid(), ls.seqid) > 0) {
                throw new NfsException(NfsStatus.NFS4ERR_BAD_STATEID, "lock stateid seqid from the future " + id);
            }
            if (id.seqid() != ls.seqid) {
                throw new NfsException(NfsStatus.NFS4ERR_OLD_STATEID, "lock stateid seqid " + id.seqid() + " < "
                        + ls.seqid);
            }
            return ls;
        }
    }

    /** The lock state a stateid names; like {@link #find} but an unknown one is an error. */
    public LockState get(StateId id, int minorVersion) throws NfsException {
        if (ByteBuffer.wrap(id.other()).getInt() != state.bootId()) {
            throw new NfsException(NfsStatus.NFS4ERR_STALE_STATEID, "stateid of an earlier server instance");
        }
        LockState ls = find(id, minorVersion);
        if (ls == null) {
            throw new NfsException(NfsStatus.NFS4ERR_BAD_STATEID, "unknown lock stateid " + id);
        }
        return ls;
    }

    /** FREE_STATEID of a lock stateid (RFC 8881 section 18.38): only once it holds no locks. */
    public void free(LockState ls) throws NfsException {
        synchronized (state) {
            if (!ls.ranges.isEmpty()) {
                throw new NfsException(NfsStatus.NFS4ERR_LOCKS_HELD, "lock stateid still holds " + ls.ranges);
            }
            remove(ls);
        }
    }

    /**
     * RELEASE_LOCKOWNER (RFC 7530 section 16.37): forgets the lock-owner and its lock stateids, unless it still
     * holds locks. An unknown lock-owner is fine.
     */
    public void releaseOwner(ClientRecord client, byte[] owner) throws NfsException {
        synchronized (state) {
            Map<ByteBuffer, LockOwner> mine = owners.get(client);
            LockOwner lo = mine == null ? null : mine.get(ByteBuffer.wrap(owner));
            if (mine == null || lo == null) {
                return;
            }
            for (LockState ls : lo.states) {
                if (!ls.ranges.isEmpty()) {
                    throw new NfsException(NfsStatus.NFS4ERR_LOCKS_HELD, "lock-owner still holds " + ls.ranges);
                }
            }
            for (LockState ls : List.copyOf(lo.states)) {
                remove(ls);
            }
            mine.remove(ByteBuffer.wrap(owner));
        }
    }

    /** Byte ranges locked now, over all clients and files. */
    public int heldCount() {
        synchronized (state) {
            return held;
        }
    }

    // ---------------------------------------------------------------- for NfsState, under its monitor

    /** Whether a lock state made from {@code open} still holds locks (then the open cannot be closed). */
    boolean holdsLocks(OpenState open) {
        for (LockState ls : byInode.getOrDefault(open.inode, List.of())) {
            if (ls.open == open && !ls.ranges.isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /** {@code open} was closed: its (empty) lock states go with it. */
    void closed(OpenState open) {
        for (LockState ls : List.copyOf(byInode.getOrDefault(open.inode, List.of()))) {
            if (ls.open == open) {
                remove(ls);
            }
        }
    }

    /** The client is gone (lease expired, replaced, or destroyed): so are its lock-owners and locks. */
    void forgetClient(ClientRecord client) {
        Map<ByteBuffer, LockOwner> mine = owners.remove(client);
        if (mine == null) {
            return;
        }
        for (LockOwner lo : mine.values()) {
            for (LockState ls : List.copyOf(lo.states)) {
                unindex(ls);
            }
            lo.states.clear();
        }
    }

    // ---------------------------------------------------------------- internals

    private @Nullable Conflict conflict(Inode file, @Nullable LockOwner me, LockRange range) {
        List<LockState> states = byInode.get(file);
        if (states == null) {
            return null;
        }
        for (LockState ls : List.copyOf(states)) {
            if (ls.owner != me) {
                state.live(ls.owner.client);   // forgets an expired holder, and with it its locks
            }
        }
        for (LockState ls : byInode.getOrDefault(file, List.of())) {
            if (ls.owner == me) {
                continue;
            }
            for (LockRange r : ls.ranges) {
                if (r.conflictsWith(range)) {
                    return new Conflict(r, ls.owner.client.clientId, ls.owner.owner.clone());
                }
            }
        }
        return null;
    }

    private @Nullable LockState stateOf(LockOwner owner, Inode file) {
        for (LockState ls : owner.states) {
            if (ls.inode.equals(file)) {
                return ls;
            }
        }
        return null;
    }

    private void replace(LockState ls, List<LockRange> ranges) {
        held += ranges.size() - ls.ranges.size();
        ls.ranges = ranges;
        ls.seqid++;
    }

    private void remove(LockState ls) {
        unindex(ls);
        LockOwner lo = ls.owner;
        lo.states.remove(ls);
        if (lo.states.isEmpty() && lo.client.minorVersion() >= 1) {
            // a 4.1 lock-owner has no seqid to keep; a 4.0 one waits for RELEASE_LOCKOWNER or the lease
            Map<ByteBuffer, LockOwner> mine = owners.get(lo.client);
            if (mine != null) {
                mine.remove(ByteBuffer.wrap(lo.owner));
                if (mine.isEmpty()) {
                    owners.remove(lo.client);
                }
            }
        }
    }

    private void unindex(LockState ls) {
        byOther.remove(ByteBuffer.wrap(ls.other));
        held -= ls.ranges.size();
        ls.ranges = List.of();
        List<LockState> list = byInode.get(ls.inode);
        if (list != null) {
            list.remove(ls);
            if (list.isEmpty()) {
                byInode.remove(ls.inode);
            }
        }
    }
}
