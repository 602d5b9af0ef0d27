package io.prefetchd.gateway.nfs.v4.state;

import static java.util.Objects.requireNonNull;

/**
 * Who a request speaks for, as the client ID rules compare it (RFC 8881 section 2.4): an AUTH_SYS uid, gid and
 * machine name, or AUTH_NONE as uid and gid -1 with no machine name.
 */
public record Principal(int uid, int gid, String machine) {
    public static final Principal NONE = new Principal(-1, -1, "");

    public Principal {
        requireNonNull(machine, "machine is null");
    }
}
