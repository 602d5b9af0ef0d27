package io.prefetchd.gateway.nfs.access;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static java.util.Objects.requireNonNull;

/**
 * The gateway's access policy: the export table (who may mount, read-only or read-write, squashing) and the
 * ownership files show. A client outside every rule is refused; each refused address is logged once (up to
 * {@value #MAX_LOGGED} addresses, so a scan cannot fill the log or the heap) and every refusal is counted in
 * {@code prefetchd.nfs.refused}. Thread-safe.
 */
public final class AccessControl {
    private static final Logger LOG = LoggerFactory.getLogger(AccessControl.class);
    static final int MAX_LOGGED = 4096;

    private final ExportTable exports;
    private final FileOwnership ownership;
    private final Counter refused;
    private final Set<InetAddress> logged = ConcurrentHashMap.newKeySet();

    public AccessControl(ExportTable exports, FileOwnership ownership, MeterRegistry registry) {
        this.exports = requireNonNull(exports, "exports is null");
        this.ownership = requireNonNull(ownership, "ownership is null");
        this.refused = Counter.builder("prefetchd.nfs.refused")
                .description("requests for a file handle refused because the client's address is in no export rule")
                .register(requireNonNull(registry, "registry is null"));
    }

    /**
     * The access of a request from {@code client} presenting AUTH_SYS {@code uid}/{@code gid}/{@code groups}
     * (uid -1 for AUTH_NONE), or empty when no rule admits the client. Pure: refusals are recorded by
     * {@link #refuse}.
     */
    public Optional<ClientAccess> admit(InetAddress client, int uid, int gid, List<Integer> groups) {
        return exports.match(client).map(rule -> new ClientAccess(rule, rule.identity(uid, gid, groups)));
    }

    /** Counts a refused request from {@code client}, logging the first from each address. */
    public void refuse(InetAddress client) {
        refused.increment();
        if (logged.size() < MAX_LOGGED && logged.add(client)) {
            LOG.warn("refused NFS client {}: its address is in no export rule (prefetchd.access.exports {}){}",
                    client.getHostAddress(), exports, logged.size() == MAX_LOGGED
                            ? "; later refused addresses are counted in prefetchd_nfs_refused_total, not logged" : "");
        }
    }

    public ExportTable exports() {
        return exports;
    }

    public FileOwnership ownership() {
        return ownership;
    }
}
