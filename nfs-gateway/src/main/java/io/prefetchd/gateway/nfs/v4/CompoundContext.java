package io.prefetchd.gateway.nfs.v4;

import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.Owner;
import io.prefetchd.gateway.fs.VirtualFileSystem;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.access.AccessControl;
import io.prefetchd.gateway.nfs.access.ClientAccess;
import io.prefetchd.gateway.nfs.access.Identity;
import io.prefetchd.gateway.nfs.v4.state.ClientRecord;
import io.prefetchd.gateway.nfs.v4.state.Principal;
import io.prefetchd.gateway.nfs.v4.state.Session;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

import static io.prefetchd.gateway.nfs.xdr.Nfs4.ACCESS4_LOOKUP;
import static io.prefetchd.gateway.nfs.xdr.Nfs4.ACCESS4_READ;
import static java.util.Objects.requireNonNull;

/**
 * The per-request state of one COMPOUND (RFC 8881 section 16.2.3): current and saved file handle and stateid,
 * the session and slot once SEQUENCE ran, and who is calling. Used by one thread at a time: the thread executing the
 * COMPOUND, and after a {@link Deferred} result the worker that resumes it (the hand-over orders their accesses).
 */
public final class CompoundContext {
    private final Nfs4Services services;
    private final int minorVersion;
    private final int opCount;
    private final Caller caller;
    private final long requestSize;
    private @Nullable Inode currentFh;
    private @Nullable Inode savedFh;
    private @Nullable StateId currentStateId;
    private @Nullable StateId savedStateId;
    private @Nullable Session session;   // set by SEQUENCE
    private int slot = -1;
    private boolean cacheThis;
    private @Nullable ClientAccess access;   // decided on first use

    /**
     * Who sent the request: AUTH_SYS uid, gid, supplementary gids and machine name (uid and gid -1, machine ""
     * for AUTH_NONE), the peer's address as the export table sees it, and the peer as text ({@code address:port})
     * for logs and traces.
     */
    public record Caller(int uid, int gid, List<Integer> groups, String machine, InetAddress address, String remote) {
        /** AUTH_NONE from the loopback address. */
        public static final Caller ANONYMOUS = new Caller(-1, -1, List.of(), "", InetAddress.getLoopbackAddress(),
                "unknown");

        public Caller {
            groups = List.copyOf(requireNonNull(groups, "groups is null"));
            requireNonNull(machine, "machine is null");
            requireNonNull(address, "address is null");
            requireNonNull(remote, "remote is null");
        }

        /** A caller with no supplementary groups, from the loopback address (tests of one rule at a time). */
        public Caller(int uid, int gid, String machine, String remote) {
            this(uid, gid, List.of(), machine, InetAddress.getLoopbackAddress(), remote);
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

    /**
     * The export rule that admits this request's client and the identity the request acts as, decided once per
     * COMPOUND. A client no rule admits gets NFS4ERR_ACCESS, and the refusal is recorded.
     */
    public ClientAccess access() throws NfsException {
        if (access == null) {
            AccessControl control = services.access();
            Optional<ClientAccess> admitted = control.admit(caller.address(), caller.uid(), caller.gid(),
                    caller.groups());
            if (admitted.isEmpty()) {
                control.refuse(caller.address());
                throw new NfsException(NfsStatus.NFS4ERR_ACCESS, "client " + caller.address().getHostAddress()
                        + " is in no export rule");
            }
            access = admitted.get();
        }
        return access;
    }

    /**
     * Checks that this request may change the file system: its client's export rule is read-write and the file
     * system takes writes. Every operation that changes something asks this first, so a read-only client gets
     * NFS4ERR_ROFS whatever it asks.
     */
    public void requireWritable() throws NfsException {
        if (!access().readWrite()) {
            throw new NfsException(NfsStatus.NFS4ERR_ROFS, "the export is read-only for client "
                    + caller.address().getHostAddress());
        }
        if (!services.fs().writable()) {
            throw new NfsException(NfsStatus.NFS4ERR_ROFS, "the gateway serves the bucket read-only");
        }
    }

    /** Whether write bits may be granted at all: the client's rule is read-write and the file system takes writes. */
    private boolean writesAllowed() throws NfsException {
        return access().readWrite() && services.fs().writable();
    }

    /**
     * Checks that the caller holds at least one of the ACCESS4 bits {@code anyOf} on {@code inode} (NFS4ERR_ACCESS
     * otherwise), by the same rule ACCESS answers with. On a file system that takes writes, names may carry owners
     * of their own, so their attributes are read; on a read-only one the export's ownership decides without
     * asking storage (a LOOKUP in a directory that was never listed stays a HEAD).
     */
    public void checkAccess(Inode inode, int anyOf) throws NfsException, FsException {
        checkAccess(inode, services.fs().writable() ? services.fs().getattr(inode) : null, anyOf);
    }

    /**
     * Completes once {@link #checkAccess(Inode, int)} of {@code inode} answers without waiting on S3 (it reads the
     * attributes of a writable file system's inodes), as {@link VirtualFileSystem#attributesKnown} does.
     */
    public CompletableFuture<Void> accessKnown(Inode inode) {
        return services.fs().writable() ? services.fs().attributesKnown(inode) : VirtualFileSystem.KNOWN;
    }

    /**
     * As {@link #checkAccess(Inode, int)} with the attributes already at hand ({@code attributes} null: the
     * export's ownership).
     */
    public void checkAccess(Inode inode, @Nullable FileAttributes attributes, int anyOf) throws NfsException {
        ClientAccess a = access();
        int held = services.access().ownership().accessBits(a.identity(), inode.isDirectory(),
                attributes == null ? null : attributes.owner(), writesAllowed());
        if ((held & anyOf) == 0) {
            throw new NfsException(NfsStatus.NFS4ERR_ACCESS, "uid " + a.identity().uid() + " may not "
                    + (anyOf == ACCESS4_READ || anyOf == ACCESS4_LOOKUP ? "access " : "change ")
                    + (inode.path().isEmpty() ? "/" : inode.path()));
        }
    }

    /** The owner of what this request creates: the caller's identity (after squashing) with {@code mode}. */
    public Owner creator(int mode) throws NfsException {
        Identity who = access().identity();
        return new Owner(Math.max(who.uid(), 0), Math.max(who.gid(), 0), mode);
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

    /** The saved file handle (SAVEFH), as RENAME and LINK take their source from it. */
    public Inode savedFh() throws NfsException {
        if (savedFh == null) {
            throw new NfsException(NfsStatus.NFS4ERR_NOFILEHANDLE, "no saved file handle");
        }
        return savedFh;
    }

    public void restoreFh() throws NfsException {
        if (savedFh == null) {
            throw new NfsException(NfsStatus.NFS4ERR_RESTOREFH, "no saved file handle");
        }
        currentFh = savedFh;
        currentStateId = savedStateId;
    }

    public @Nullable StateId currentStateId() {
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

    /** The session SEQUENCE bound, or null (4.0, or before SEQUENCE). */
    public @Nullable Session session() {
        return session;
    }

    public @Nullable ClientRecord sessionClient() {
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
