package io.prefetchd.gateway.nfs.v4.state;

import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.xdr.Args.ChannelAttrs;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * All NFSv4 state of one server instance: client IDs (4.0 SETCLIENTID and 4.1 EXCHANGE_ID), sessions, open-owners
 * and opens, byte-range locks ({@link ByteRangeLocks}), and leases.
 *
 * <p><b>Identity across restarts.</b> Client IDs, session IDs and stateids embed a boot id (the server's start
 * time in seconds), so anything a client kept from an earlier instance is recognised as stale
 * (NFS4ERR_STALE_CLIENTID, NFS4ERR_STALE_STATEID, NFS4ERR_BADSESSION) and the client recovers. The server never
 * has a grace period: nothing is written, and byte-range locks (advisory) are not kept across restarts, so a
 * reclaim has nothing to protect (CLAIM_PREVIOUS and a reclaiming LOCK get NFS4ERR_NO_GRACE, and the client simply
 * opens and locks again).
 *
 * <p><b>Leases.</b> Any lease-renewing operation of a client moves its lease forward; {@link #expireClients()}
 * (called periodically) forgets clients whose lease ran out, with their sessions, opens and locks. Time comes from the
 * injected clock.
 *
 * <p><b>Writers.</b> When the last open for writing of a file goes (CLOSE, an OPEN_DOWNGRADE that drops write
 * access, or a client forgotten with its opens), the file is queued; {@link #takeReleasedWriters()} hands the queue
 * to whoever tells the file system (outside this monitor, since that may take a while).
 *
 * <p><b>Thread-safety.</b> Every mutation happens under this object's monitor; operations are short (map
 * updates). Open stateids are also indexed in a concurrent map so that READs, the hot path, look them up
 * without taking the monitor.
 */
public final class NfsState {
    private final Clock clock;
    private final Duration leaseTime;
    private final int bootId;
    private long counter;

    private final Map<Long, ClientRecord> clientsById = new HashMap<>();
    private final Map<ByteBuffer, ClientRecord> confirmedByOwner = new HashMap<>();
    private final Map<ByteBuffer, ClientRecord> unconfirmedByOwner = new HashMap<>();
    private final Map<ByteBuffer, Session> sessions = new HashMap<>();
    private final Map<ByteBuffer, OpenState> opens = new ConcurrentHashMap<>();
    private final Map<Inode, List<OpenState>> opensByInode = new HashMap<>();
    private final ByteRangeLocks locks = new ByteRangeLocks(this);
    private final Queue<Inode> releasedWriters = new ConcurrentLinkedQueue<>();

    public NfsState(Clock clock, Duration leaseTime) {
        this.clock = requireNonNull(clock, "clock is null");
        this.leaseTime = requireNonNull(leaseTime, "leaseTime is null");
        this.bootId = (int) (clock.millis() / 1000);
    }

    public Duration leaseTime() {
        return leaseTime;
    }

    public int bootId() {
        return bootId;
    }

    private long now() {
        return clock.millis();
    }

    synchronized long nextId() {
        return ((long) bootId << 32) | (++counter & 0xffffffffL);
    }

    private byte[] newVerifier() {
        return ByteBuffer.allocate(8).putLong(nextId()).array();
    }

    // ---------------------------------------------------------------- 4.1 client IDs and sessions

    public record ExchangeIdResult(long clientId, int sequenceId, boolean confirmed) {}

    /**
     * EXCHANGE_ID for a non-pNFS server with SP4_NONE, by the case table of RFC 8881 section 18.35.4. A client ID
     * is only ever returned to the principal that created it:
     * <ul>
     *   <li>update (EXCHGID4_FLAG_UPD_CONFIRMED_REC_A): no confirmed record, NFS4ERR_NOENT (case 7); another
     *       principal, NFS4ERR_PERM (case 9); another verifier, NFS4ERR_NOT_SAME (case 8); else the confirmed
     *       record (case 6);</li>
     *   <li>a confirmed record of another principal: NFS4ERR_CLID_INUSE while it has sessions or opens, else it
     *       is forgotten and the caller starts afresh (case 3);</li>
     *   <li>a confirmed record of the same principal and verifier: that record (case 2);</li>
     *   <li>otherwise (new owner, restarted client, repeated request before CREATE_SESSION): a new unconfirmed
     *       record with a new client ID, replacing any earlier unconfirmed one (cases 1, 4, 5).</li>
     * </ul>
     */
    public synchronized ExchangeIdResult exchangeId(byte[] ownerId, byte[] verifier, int flags, Principal principal)
            throws NfsException {
        requireNonNull(principal, "principal is null");
        ByteBuffer owner = ByteBuffer.wrap(ownerId);
        ClientRecord confirmed = live(confirmedByOwner.get(owner));
        if ((flags & Nfs4.EXCHGID4_FLAG_UPD_CONFIRMED_REC_A) != 0) {
            if (confirmed == null) {
                throw new NfsException(NfsStatus.NFS4ERR_NOENT, "no confirmed client to update");
            }
            if (!confirmed.principal.equals(principal)) {
                throw new NfsException(NfsStatus.NFS4ERR_PERM, "the client ID belongs to another principal");
            }
            if (!Arrays.equals(confirmed.verifier, verifier)) {
                throw new NfsException(NfsStatus.NFS4ERR_NOT_SAME, "verifier differs from the confirmed client's");
            }
            confirmed.lastRenewNanos = now();
            return new ExchangeIdResult(confirmed.clientId, confirmed.createSessionSeq + 1, true);
        }
        if (confirmed != null && !confirmed.principal.equals(principal)) {
            if (confirmed.hasState()) {
                throw new NfsException(NfsStatus.NFS4ERR_CLID_INUSE,
                        "the client owner is in use by another principal");
            }
            forget(confirmed);
            confirmed = null;
        }
        if (confirmed != null && Arrays.equals(confirmed.verifier, verifier)) {
            confirmed.lastRenewNanos = now();
            return new ExchangeIdResult(confirmed.clientId, confirmed.createSessionSeq + 1, true);
        }
        ClientRecord old = unconfirmedByOwner.remove(owner);
        if (old != null) {
            clientsById.remove(old.clientId);
        }
        ClientRecord rec = new ClientRecord(nextId(), ownerId, verifier, 1, principal, now());
        clientsById.put(rec.clientId, rec);
        unconfirmedByOwner.put(owner, rec);
        return new ExchangeIdResult(rec.clientId, rec.createSessionSeq + 1, false);
    }

    /** The session CREATE_SESSION made or replays. */
    public record CreatedSession(byte[] sessionId, int sequence, int flags, ChannelAttrs fore, ChannelAttrs back) {}

    /**
     * CREATE_SESSION (RFC 8881 section 18.36.4): confirms the client on first use; replays are answered again.
     * An unconfirmed client ID can only be confirmed by the principal that sent its EXCHANGE_ID
     * (NFS4ERR_CLID_INUSE otherwise); once confirmed, SP4_NONE lets any principal add sessions.
     */
    public synchronized CreatedSession createSession(long clientId, int sequence, int flags, ChannelAttrs fore,
                                                     ChannelAttrs back, Principal principal) throws NfsException {
        ClientRecord rec = client(clientId);
        if (!rec.confirmed && !rec.principal.equals(principal)) {
            throw new NfsException(NfsStatus.NFS4ERR_CLID_INUSE,
                    "CREATE_SESSION from another principal than the client ID's EXCHANGE_ID");
        }
        if (sequence == rec.createSessionSeq && rec.createSessionReply instanceof CreatedSession cached) {
            return cached;
        }
        if (sequence != rec.createSessionSeq + 1) {
            throw new NfsException(NfsStatus.NFS4ERR_SEQ_MISORDERED,
                    "CREATE_SESSION sequence " + sequence + ", expected " + (rec.createSessionSeq + 1));
        }
        if (!rec.confirmed) {
            confirm(rec);
        }
        byte[] id = ByteBuffer.allocate(Nfs4.SESSIONID_SIZE).putLong(rec.clientId).putLong(nextId()).array();
        Session s = new Session(id, rec, fore, back, flags);
        sessions.put(ByteBuffer.wrap(id), s);
        rec.sessions.add(s);
        rec.lastRenewNanos = now();
        CreatedSession result = new CreatedSession(id, sequence, flags, fore, back);
        rec.createSessionSeq = sequence;
        rec.createSessionReply = result;
        return result;
    }

    /** @throws NfsException NFS4ERR_BADSESSION when unknown, destroyed, or its client's lease expired */
    public synchronized Session session(byte[] sessionId) throws NfsException {
        Session s = sessions.get(ByteBuffer.wrap(sessionId));
        if (s == null || live(s.client) == null) {
            throw new NfsException(NfsStatus.NFS4ERR_BADSESSION, "unknown session");
        }
        return s;
    }

    public synchronized void destroySession(byte[] sessionId) throws NfsException {
        Session s = sessions.remove(ByteBuffer.wrap(sessionId));
        if (s == null) {
            throw new NfsException(NfsStatus.NFS4ERR_BADSESSION, "unknown session");
        }
        s.client.sessions.remove(s);
    }

    public synchronized void destroyClientId(long clientId) throws NfsException {
        ClientRecord rec = client(clientId);
        if (!rec.sessions.isEmpty()) {
            throw new NfsException(NfsStatus.NFS4ERR_CLIENTID_BUSY, "client still has sessions");
        }
        forget(rec);
    }

    public synchronized void reclaimComplete(ClientRecord rec) throws NfsException {
        if (rec.reclaimComplete) {
            throw new NfsException(NfsStatus.NFS4ERR_COMPLETE_ALREADY, "RECLAIM_COMPLETE already done");
        }
        rec.reclaimComplete = true;
    }

    // ---------------------------------------------------------------- 4.0 client IDs

    public record SetclientidResult(long clientId, byte[] confirmVerifier) {}

    /**
     * SETCLIENTID (RFC 7530 section 16.33.5). A confirmed client ID is only ever returned to its own principal;
     * another principal presenting the same id string gets NFS4ERR_CLID_INUSE while that client holds opens,
     * else a new unconfirmed record that replaces it on SETCLIENTID_CONFIRM.
     */
    public synchronized SetclientidResult setclientid(byte[] id, byte[] verifier, Principal principal)
            throws NfsException {
        requireNonNull(principal, "principal is null");
        ByteBuffer owner = ByteBuffer.wrap(id);
        ClientRecord confirmed = live(confirmedByOwner.get(owner));
        if (confirmed != null && !confirmed.principal.equals(principal)) {
            if (confirmed.hasState()) {
                throw new NfsException(NfsStatus.NFS4ERR_CLID_INUSE, "the client id is in use by another principal");
            }
            confirmed = null;
        }
        if (confirmed != null && Arrays.equals(confirmed.verifier, verifier)) {
            // same client updating its callback: same client ID, fresh confirm verifier
            confirmed.confirmVerifier = newVerifier();
            confirmed.lastRenewNanos = now();
            return new SetclientidResult(confirmed.clientId, confirmed.confirmVerifier.clone());
        }
        ClientRecord old = unconfirmedByOwner.remove(owner);
        if (old != null) {
            clientsById.remove(old.clientId);
        }
        ClientRecord rec = new ClientRecord(nextId(), id, verifier, 0, principal, now());
        rec.confirmVerifier = newVerifier();
        clientsById.put(rec.clientId, rec);
        unconfirmedByOwner.put(owner, rec);
        return new SetclientidResult(rec.clientId, rec.confirmVerifier.clone());
    }

    /** SETCLIENTID_CONFIRM (RFC 7530 section 16.34.5): only the principal of the SETCLIENTID may confirm. */
    public synchronized void setclientidConfirm(long clientId, byte[] confirmVerifier, Principal principal)
            throws NfsException {
        ClientRecord rec = client(clientId);
        if (!rec.principal.equals(principal)) {
            throw new NfsException(NfsStatus.NFS4ERR_CLID_INUSE, "SETCLIENTID_CONFIRM from another principal");
        }
        if (rec.confirmVerifier == null || !Arrays.equals(rec.confirmVerifier, confirmVerifier)) {
            throw new NfsException(NfsStatus.NFS4ERR_STALE_CLIENTID, "confirm verifier does not match");
        }
        if (!rec.confirmed) {
            confirm(rec);
        }
        rec.lastRenewNanos = now();
    }

    /** RENEW, and any other operation that renews the lease of a 4.0 client. */
    public synchronized ClientRecord renew(long clientId) throws NfsException {
        ClientRecord rec = client(clientId);
        if (!rec.confirmed) {
            throw new NfsException(NfsStatus.NFS4ERR_STALE_CLIENTID, "client ID not confirmed");
        }
        rec.lastRenewNanos = now();
        return rec;
    }

    /** Renews the lease of a client known by its session (SEQUENCE). */
    public synchronized void renew(ClientRecord rec) {
        rec.lastRenewNanos = now();
    }

    /** @throws NfsException NFS4ERR_STALE_CLIENTID when unknown, from an earlier instance, or expired */
    public synchronized ClientRecord client(long clientId) throws NfsException {
        ClientRecord rec = live(clientsById.get(clientId));
        if (rec == null) {
            throw new NfsException(NfsStatus.NFS4ERR_STALE_CLIENTID,
                    "unknown client ID " + Long.toHexString(clientId));
        }
        return rec;
    }

    private void confirm(ClientRecord rec) {
        ByteBuffer owner = rec.ownerId;
        if (unconfirmedByOwner.get(owner) == rec) {
            unconfirmedByOwner.remove(owner);
        }
        ClientRecord previous = confirmedByOwner.put(owner, rec);
        if (previous != null && previous != rec) {
            forget(previous);
            confirmedByOwner.put(owner, rec);
        }
        rec.confirmed = true;
    }

    /** The record, or null when it is null or its lease has run out (in which case it is forgotten). */
    @Nullable ClientRecord live(@Nullable ClientRecord rec) {
        if (rec == null) {
            return null;
        }
        if (now() - rec.lastRenewNanos > leaseTime.toMillis()) {
            forget(rec);
            return null;
        }
        return rec;
    }

    private void forget(ClientRecord rec) {
        clientsById.remove(rec.clientId);
        if (confirmedByOwner.get(rec.ownerId) == rec) {
            confirmedByOwner.remove(rec.ownerId);
        }
        if (unconfirmedByOwner.get(rec.ownerId) == rec) {
            unconfirmedByOwner.remove(rec.ownerId);
        }
        for (Session s : rec.sessions) {
            sessions.remove(ByteBuffer.wrap(s.id));
        }
        rec.sessions.clear();
        for (OpenOwner o : rec.openOwners.values()) {
            o.opens = 0;
        }
        for (Iterator<OpenState> it = opens.values().iterator(); it.hasNext(); ) {
            OpenState st = it.next();
            if (st.owner.client == rec) {
                it.remove();
                st.closed = true;
                removeFromInode(st);
                releasedWrite(st.inode, st.access);
            }
        }
        rec.openOwners.clear();
        locks.forgetClient(rec);
    }

    /** Forgets every client whose lease has expired. Returns how many. */
    public synchronized int expireClients() {
        int n = 0;
        for (ClientRecord rec : new ArrayList<>(clientsById.values())) {
            if (live(rec) == null) {
                n++;
            }
        }
        return n;
    }

    public synchronized int clientCount() {
        return clientsById.size();
    }

    public synchronized int sessionCount() {
        return sessions.size();
    }

    public int openCount() {
        return opens.size();
    }

    /** Byte-range locks; they share this object's monitor. */
    public ByteRangeLocks locks() {
        return locks;
    }

    // ---------------------------------------------------------------- opens

    public synchronized OpenOwner openOwner(ClientRecord client, byte[] owner) {
        return client.openOwners.computeIfAbsent(ByteBuffer.wrap(owner.clone()), k -> new OpenOwner(client, owner));
    }

    /** 4.0 open-owner seqid check (RFC 7530 section 9.1.7). */
    public sealed interface SeqidCheck {
        record Proceed() implements SeqidCheck {}

        record Replay(Object reply) implements SeqidCheck {}
    }

    public synchronized SeqidCheck checkSeqid(SeqidOwner owner, int seqid) throws NfsException {
        if (!owner.seqidKnown || seqid == owner.lastSeqid + 1) {
            return new SeqidCheck.Proceed();
        }
        if (seqid == owner.lastSeqid && owner.lastReply != null) {
            return new SeqidCheck.Replay(owner.lastReply);
        }
        throw new NfsException(NfsStatus.NFS4ERR_BAD_SEQID,
                "owner seqid " + Integer.toUnsignedString(seqid) + ", expected " + (owner.lastSeqid + 1));
    }

    /** Records that the operation with {@code seqid} was done, with the reply to send again on retransmission. */
    public synchronized void advanceSeqid(SeqidOwner owner, int seqid, Object reply) {
        owner.seqidKnown = true;
        owner.lastSeqid = seqid;
        owner.lastReply = reply;
    }

    /**
     * Opens {@code inode} for {@code owner}, or upgrades the owner's existing open of it (same stateid, next seqid).
     *
     * @throws NfsException NFS4ERR_SHARE_DENIED when another owner's share reservation conflicts
     */
    public synchronized OpenState open(OpenOwner owner, Inode inode, FileAttributes version, int access, int deny)
            throws NfsException {
        List<OpenState> list = opensByInode.computeIfAbsent(inode, k -> new ArrayList<>());
        OpenState mine = null;
        for (OpenState st : list) {
            if (st.owner == owner) {
                mine = st;
            } else if ((st.deny & access) != 0 || (st.access & deny) != 0) {
                throw new NfsException(NfsStatus.NFS4ERR_SHARE_DENIED, "share reservation conflict on " + inode.path());
            }
        }
        // an open for writing pins no version, so the owner's open is upgraded whatever version it saw
        if (mine != null && (Objects.equals(mine.version.etag(), version.etag())
                || ((mine.access | access) & Nfs4.OPEN4_SHARE_ACCESS_WRITE) != 0)) {
            mine.access |= access;
            mine.deny |= deny;
            mine.seqid++;
            return mine;
        }
        byte[] other = ByteBuffer.allocate(Nfs4.STATEID_OTHER_SIZE).putInt(bootId).putLong(nextId()).array();
        OpenState st = new OpenState(other, owner, inode, version, access, deny);
        list.add(st);
        opens.put(ByteBuffer.wrap(other), st);
        owner.opens++;
        return st;
    }

    /**
     * The open a stateid names, checked as RFC 8881 section 8.2.2 says: seqid 0 means "the current one" in 4.1;
     * an older seqid is NFS4ERR_OLD_STATEID, a newer one NFS4ERR_BAD_STATEID.
     */
    public OpenState openState(StateId id, int minorVersion) throws NfsException {
        byte[] other = id.other();
        if (ByteBuffer.wrap(other).getInt() != bootId) {
            throw new NfsException(NfsStatus.NFS4ERR_STALE_STATEID, "stateid of an earlier server instance");
        }
        OpenState st = opens.get(ByteBuffer.wrap(other));
        if (st == null) {
            throw new NfsException(NfsStatus.NFS4ERR_BAD_STATEID, "unknown stateid " + id);
        }
        if (minorVersion >= 1 && id.seqid() == 0) {
            return st;
        }
        int current = st.seqid;
        if (Integer.compareUnsigned(id.seqid(), current) > 0) {
            throw new NfsException(NfsStatus.NFS4ERR_BAD_STATEID, "stateid seqid from the future " + id);
        }
        if (id.seqid() != current) {
            throw new NfsException(NfsStatus.NFS4ERR_OLD_STATEID, "stateid seqid " + id.seqid() + " < " + current);
        }
        return st;
    }

    /** @throws NfsException NFS4ERR_LOCKS_HELD while a lock state made from this open holds locks */
    public synchronized void close(OpenState st) throws NfsException {
        if (locks.holdsLocks(st)) {
            throw new NfsException(NfsStatus.NFS4ERR_LOCKS_HELD, "byte-range locks held under this open");
        }
        locks.closed(st);
        if (opens.remove(ByteBuffer.wrap(st.other)) != null) {
            st.closed = true;
            st.seqid++;
            st.owner.opens--;
            removeFromInode(st);
            releasedWrite(st.inode, st.access);
        }
    }

    public synchronized void confirmOpen(OpenState st) {
        st.owner.confirmed = true;
        st.seqid++;
    }

    public synchronized boolean ownerConfirmed(OpenOwner owner) {
        return owner.confirmed;
    }

    public synchronized void downgrade(OpenState st, int access, int deny) throws NfsException {
        if ((access & ~st.access) != 0 || (deny & ~st.deny) != 0 || access == 0) {
            throw new NfsException(NfsStatus.NFS4ERR_INVAL, "OPEN_DOWNGRADE must reduce access and deny");
        }
        int before = st.access;
        st.access = access;
        st.deny = deny;
        st.seqid++;
        releasedWrite(st.inode, before & ~access);
    }

    /**
     * Checks that I/O without an open (the anonymous or READ bypass stateid) may write {@code inode}: no open's
     * share reservation denies writing (RFC 8881 section 9.7).
     *
     * @throws NfsException NFS4ERR_LOCKED when one does
     */
    public synchronized void checkSpecialWrite(Inode inode) throws NfsException {
        for (OpenState st : opensByInode.getOrDefault(inode, List.of())) {
            if ((st.deny & Nfs4.OPEN4_SHARE_DENY_WRITE) != 0) {
                throw new NfsException(NfsStatus.NFS4ERR_LOCKED, "an open denies writing " + inode.path());
            }
        }
    }

    /** Whether any open of {@code inode} allows writing. */
    public synchronized boolean openForWrite(Inode inode) {
        for (OpenState st : opensByInode.getOrDefault(inode, List.of())) {
            if (st.forWrite()) {
                return true;
            }
        }
        return false;
    }

    /**
     * The files whose last open for writing went since the last call, each once per time it went; the caller
     * tells the file system. Lock-free.
     */
    public List<Inode> takeReleasedWriters() {
        List<Inode> out = new ArrayList<>();
        for (Inode i = releasedWriters.poll(); i != null; i = releasedWriters.poll()) {
            out.add(i);
        }
        return out;
    }

    /** Queues {@code inode} when an open gave up write access ({@code dropped}) and no other open of it writes. */
    private void releasedWrite(Inode inode, int dropped) {
        if ((dropped & Nfs4.OPEN4_SHARE_ACCESS_WRITE) != 0 && !openForWrite(inode)) {
            releasedWriters.add(inode);
        }
    }

    /** TEST_STATEID: the status a stateid would get if used now. */
    public NfsStatus test(StateId id) {
        try {
            if (locks.find(id, 1) == null) {
                openState(id, 1);
            }
            return NfsStatus.NFS4_OK;
        } catch (NfsException e) {
            return e.status();
        }
    }

    /**
     * FREE_STATEID (RFC 8881 section 18.38): a lock stateid is freed once it holds no locks; an open stateid is held
     * by its open until CLOSE.
     */
    public void free(StateId id) throws NfsException {
        LockState lock = locks.find(id, 1);
        if (lock != null) {
            locks.free(lock);
            return;
        }
        openState(id, 1);
        throw new NfsException(NfsStatus.NFS4ERR_LOCKS_HELD, "stateid still names an open file; CLOSE it");
    }

    private void removeFromInode(OpenState st) {
        List<OpenState> list = opensByInode.get(st.inode);
        if (list != null) {
            list.remove(st);
            if (list.isEmpty()) {
                opensByInode.remove(st.inode);
            }
        }
    }
}
