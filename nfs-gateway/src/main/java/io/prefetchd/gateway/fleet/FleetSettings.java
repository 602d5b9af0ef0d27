package io.prefetchd.gateway.fleet;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
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
 * @param token the fleet's shared secret, empty for none: with one, the peer data channel refuses calls that do not
 *     carry it, and only members with the same token form a fleet (the membership's cluster name is derived from it)
 */
public record FleetSettings(String name, String bind, int port, List<String> members, int peerPort,
                            Duration peerTimeout, Duration failureTimeout, Duration handoverWindow, String token) {
    /** The default {@link #handoverWindow}: about an epoch of a long training job. */
    public static final Duration HANDOVER_WINDOW = Duration.ofHours(1);

    /** A token's shortest length: guessing it from what the network shows must not be practical. */
    static final int MIN_TOKEN = 16;
    private static final Pattern TOKEN = Pattern.compile("[\\x21-\\x7E]{" + MIN_TOKEN + ",}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    private static final Pattern MEMBER = Pattern.compile("(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):([0-9]{1,5})");

    public FleetSettings {
        requireNonNull(name, "name is null");
        requireNonNull(bind, "bind is null");
        requireNonNull(members, "members is null");
        requireNonNull(peerTimeout, "peerTimeout is null");
        requireNonNull(failureTimeout, "failureTimeout is null");
        requireNonNull(handoverWindow, "handoverWindow is null");
        requireNonNull(token, "token is null");
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
        token = token.strip();
        if (!token.isEmpty() && !TOKEN.matcher(token).matches()) {
            throw new IllegalArgumentException("token must be " + MIN_TOKEN + " or more printable ASCII characters "
                    + "without spaces (e.g. openssl rand -hex 24), not " + token.length() + " characters of another kind");
        }
    }

    /** Settings without a token. */
    public FleetSettings(String name, String bind, int port, List<String> members, int peerPort, Duration peerTimeout,
                         Duration failureTimeout, Duration handoverWindow) {
        this(name, bind, port, members, peerPort, peerTimeout, failureTimeout, handoverWindow, "");
    }

    /** Settings with the default {@link #handoverWindow}. */
    public FleetSettings(String name, String bind, int port, List<String> members, int peerPort, Duration peerTimeout,
                         Duration failureTimeout) {
        this(name, bind, port, members, peerPort, peerTimeout, failureTimeout, HANDOVER_WINDOW, "");
    }

    /** These settings with {@code token} as the fleet's shared secret. */
    public FleetSettings withToken(String token) {
        return new FleetSettings(name, bind, port, members, peerPort, peerTimeout, failureTimeout, handoverWindow, token);
    }

    /**
     * The membership's cluster name: the fleet's name, and with a token a digest of both, so that members without
     * the token (or with another) are refused at join. The token itself never travels in the membership protocol.
     */
    String clusterName() {
        if (token.isEmpty()) {
            return name;
        }
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(("prefetchd-fleet\0" + name + "\0" + token)
                    .getBytes(StandardCharsets.UTF_8));
            return name + "-" + HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    @Override
    public String toString() {   // the record's own would print the token
        return "FleetSettings[name=" + name + ", bind=" + bind + ", port=" + port + ", members=" + members
                + ", peerPort=" + peerPort + ", peerTimeout=" + peerTimeout + ", failureTimeout=" + failureTimeout
                + ", handoverWindow=" + handoverWindow + ", token=" + (token.isEmpty() ? "none" : "set") + "]";
    }
}
