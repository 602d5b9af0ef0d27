package io.prefetchd.gateway.fleet;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * How this gateway joins a fleet.
 *
 * @param name the fleet's name: members of other names are not joined
 * @param bind the address the membership and peer listeners bind
 * @param port the membership protocol's TCP port
 * @param members the members to join as {@code host:port} (this gateway may be among them), at least one
 * @param peerPort the peer data channel's TCP port, 0 for any free one (members learn it from the membership)
 * @param peerTimeout how long a read waits for its owner before reading from S3 itself
 * @param failureTimeout how long a member may be silent before it is dropped and its blocks get new owners
 * @param handoverWindow how long after a grain moved to this member its previous owner is asked for it first, before
 *     S3; zero never asks
 */
public record FleetSettings(String name, String bind, int port, List<String> members, int peerPort,
                            Duration peerTimeout, Duration failureTimeout, Duration handoverWindow) {
    /** The default {@link #handoverWindow}: about an epoch of a long training job. */
    public static final Duration HANDOVER_WINDOW = Duration.ofHours(1);

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    private static final Pattern MEMBER = Pattern.compile("(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):([0-9]{1,5})");

    public FleetSettings {
        requireNonNull(name, "name is null");
        requireNonNull(bind, "bind is null");
        requireNonNull(members, "members is null");
        requireNonNull(peerTimeout, "peerTimeout is null");
        requireNonNull(failureTimeout, "failureTimeout is null");
        requireNonNull(handoverWindow, "handoverWindow is null");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("name must be 1 to 63 letters, digits, '.', '_' or '-', not '"
                    + name + "'");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be a TCP port from 1 to 65535, not " + port);
        }
        if (peerPort < 0 || peerPort > 65535) {
            throw new IllegalArgumentException("peer-port must be a TCP port (0 = any), not " + peerPort);
        }
        members = members.stream().map(String::strip).filter(m -> !m.isEmpty()).toList();
        if (members.isEmpty()) {
            throw new IllegalArgumentException("members must name at least one host:port");
        }
        for (String m : members) {
            var match = MEMBER.matcher(m);
            if (!match.matches() || Integer.parseInt(match.group(2)) < 1 || Integer.parseInt(match.group(2)) > 65535) {
                throw new IllegalArgumentException("member '" + m + "' is not host:port");
            }
        }
        if (peerTimeout.isNegative() || peerTimeout.isZero()) {
            throw new IllegalArgumentException("peer-timeout must be positive, not " + peerTimeout);
        }
        if (failureTimeout.compareTo(Duration.ofSeconds(2)) < 0) {
            throw new IllegalArgumentException("failure-timeout must be at least 2s (members beat every second), not "
                    + failureTimeout);
        }
        if (handoverWindow.isNegative()) {
            throw new IllegalArgumentException("handover-window must not be negative, not " + handoverWindow);
        }
    }

    /** Settings with the default {@link #handoverWindow}. */
    public FleetSettings(String name, String bind, int port, List<String> members, int peerPort, Duration peerTimeout,
                         Duration failureTimeout) {
        this(name, bind, port, members, peerPort, peerTimeout, failureTimeout, HANDOVER_WINDOW);
    }
}
