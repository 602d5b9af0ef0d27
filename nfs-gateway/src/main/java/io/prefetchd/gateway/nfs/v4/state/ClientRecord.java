package io.prefetchd.gateway.nfs.v4.state;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One NFS client (a client ID). Mutable; guarded by the {@link NfsState} monitor.
 */
public final class ClientRecord {
    final long clientId;
    final ByteBuffer ownerId;
    final byte[] verifier;
    final int minorVersion;
    /** Who created the record: the client ID rules compare later requests with it. */
    final Principal principal;
    boolean confirmed;
    long lastRenewNanos;
    /** 4.1: the CREATE_SESSION sequence slot (RFC 8881 section 18.36.4). */
    int createSessionSeq;
    @Nullable Object createSessionReply;
    boolean reclaimComplete;
    /** 4.0: the verifier SETCLIENTID_CONFIRM must echo. */
    byte @Nullable [] confirmVerifier;
    final List<Session> sessions = new ArrayList<>();
    final Map<ByteBuffer, OpenOwner> openOwners = new HashMap<>();

    ClientRecord(long clientId, byte[] ownerId, byte[] verifier, int minorVersion, Principal principal,
                 long nowNanos) {
        this.clientId = clientId;
        this.ownerId = ByteBuffer.wrap(ownerId.clone());
        this.verifier = verifier.clone();
        this.minorVersion = minorVersion;
        this.principal = principal;
        this.lastRenewNanos = nowNanos;
    }

    public long clientId() {
        return clientId;
    }

    public int minorVersion() {
        return minorVersion;
    }

    /** Sessions or opens: what a client ID collision must not take away (RFC 8881 section 18.35.4, case 3). */
    boolean hasState() {
        if (!sessions.isEmpty()) {
            return true;
        }
        for (OpenOwner o : openOwners.values()) {
            if (o.opens > 0) {
                return true;
            }
        }
        return false;
    }
}
