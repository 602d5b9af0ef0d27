package io.prefetchd.gateway.nfs.v4;

import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.state.ClientRecord;
import io.prefetchd.gateway.nfs.v4.state.Principal;
import io.prefetchd.gateway.nfs.v4.state.Session;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;

import static java.util.Objects.requireNonNull;

/**
 * The per-request state of one COMPOUND (RFC 8881 section 16.2.3): current and saved file handle and stateid,
 * the session and slot once SEQUENCE ran, and who is calling. Confined to the thread executing the COMPOUND.
 */
public final class CompoundContext {
    private final Nfs4Services services;
    private final int minorVersion;
    private final int opCount;
    private final Caller caller;
    private final long requestSize;
    private Inode currentFh;
    private Inode savedFh;
    private StateId currentStateId;
    private StateId savedStateId;
    private Session session;
    private int slot = -1;
    private boolean cacheThis;

    /**
     * Who sent the request: AUTH_SYS ids and machine name (uid and gid -1, machine "" for AUTH_NONE) and the
     * connection's peer.
     */
    public record Caller(int uid, int gid, String machine, String remote) {
        public static final Caller ANONYMOUS = new Caller(-1, -1, "", "unknown");

        public Caller {
            requireNonNull(machine, "machine is null");
            requireNonNull(remote, "remote is null");
        }

        public Caller(int uid, int gid, String remote) {
            this(uid, gid, "", remote);
        }

        /** The RPC principal as client ID rules compare it (RFC 8881 section 2.4). */
        public Principal principal() {
            return new Principal(uid, gid, machine);
        }
    }

    public CompoundContext(Nfs4Services services, int minorVersion, int opCount, Caller caller) {
        this(services, minorVersion, opCount, caller, 0);
    }

    /**
     * @param requestSize the whole RPC call's size in bytes (header and arguments), as ca_maxrequestsize counts
     */
    public CompoundContext(Nfs4Services services, int minorVersion, int opCount, Caller caller, long requestSize) {
        this.services = requireNonNull(services, "services is null");
        this.minorVersion = minorVersion;
        this.opCount = opCount;
        this.caller = requireNonNull(caller, "caller is null");
        this.requestSize = requestSize;
    }

    public long requestSize() {
        return requestSize;
    }

    public Nfs4Services services() {
        return services;
    }

    public int minorVersion() {
        return minorVersion;
    }

    public int opCount() {
        return opCount;
    }

    public Caller caller() {
        return caller;
    }

    public Inode currentFh() throws NfsException {
        if (currentFh == null) {
            throw new NfsException(NfsStatus.NFS4ERR_NOFILEHANDLE, "no current file handle");
        }
        return currentFh;
    }

    /** The current handle, which must be a directory (NFS4ERR_NOTDIR otherwise). */
    public Inode currentDir() throws NfsException {
        Inode fh = currentFh();
        if (!fh.isDirectory()) {
            throw new NfsException(NfsStatus.NFS4ERR_NOTDIR, fh.path() + " is not a directory");
        }
        return fh;
    }

    public void setCurrentFh(Inode inode) {
        this.currentFh = inode;
        this.currentStateId = null;
    }

    public void clearCurrentFh() {
        this.currentFh = null;
        this.currentStateId = null;
    }

    public void saveFh() throws NfsException {
        savedFh = currentFh();
        savedStateId = currentStateId;
    }

    public void restoreFh() throws NfsException {
        if (savedFh == null) {
            throw new NfsException(NfsStatus.NFS4ERR_RESTOREFH, "no saved file handle");
        }
        currentFh = savedFh;
        currentStateId = savedStateId;
    }

    public StateId currentStateId() {
        return currentStateId;
    }

    public void setCurrentStateId(StateId id) {
        this.currentStateId = id;
    }

    /**
     * Resolves the 4.1 "current stateid" special value (RFC 8881 section 16.2.3.1.2) to the stateid an earlier
     * operation of this COMPOUND set.
     */
    public StateId resolve(StateId id) throws NfsException {
        if (minorVersion >= 1 && id.isCurrent()) {
            if (currentStateId == null) {
                throw new NfsException(NfsStatus.NFS4ERR_BAD_STATEID, "no current stateid");
            }
            return currentStateId;
        }
        return id;
    }

    public Session session() {
        return session;
    }

    public ClientRecord sessionClient() {
        return session == null ? null : session.client();
    }

    public void bindSession(Session session, int slot, boolean cacheThis) {
        this.session = session;
        this.slot = slot;
        this.cacheThis = cacheThis;
    }

    public int slot() {
        return slot;
    }

    public boolean cacheThis() {
        return cacheThis;
    }
}
