package io.prefetchd.gateway.fleet;

import static java.util.Objects.requireNonNull;

/**
 * Another member of the fleet, as the peer data channel reaches it.
 *
 * @param id the member's id in the membership (new at every start)
 * @param host the address other members reach it at
 * @param port its peer data channel's port
 */
record Peer(String id, String host, int port) {
    Peer {
        requireNonNull(id, "id is null");
        requireNonNull(host, "host is null");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("peer port " + port);
        }
    }

    /** {@code host:port}, brackets around an IPv6 host. */
    String address() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
