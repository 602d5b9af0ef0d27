package io.prefetchd.gateway.nfs.access;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * A block of client addresses in CIDR notation ({@code 10.0.0.0/8}, {@code fd00::/8}, {@code 192.168.1.7} for one
 * host), or {@code *} for every IPv4 and IPv6 address. An IPv4 client that reaches a dual-stack listener appears
 * as an IPv4-mapped IPv6 address ({@code ::ffff:10.1.2.3}); it is matched as the IPv4 address it is. Immutable.
 */
public final class AddressRange {
    /** Every address, IPv4 and IPv6. */
    public static final AddressRange ANY = new AddressRange(null, 0, "*");

    private final byte @Nullable [] network;   // null: every address
    private final int prefixLength;
    private final String text;

    private AddressRange(byte @Nullable [] network, int prefixLength, String text) {
        this.network = network;
        this.prefixLength = prefixLength;
        this.text = text;
    }

    /**
     * Parses {@code ADDRESS[/PREFIX]} with a literal address (no host names: a name would be resolved once and
     * silently go stale). Host bits below the prefix must be zero, so a typo such as {@code 10.1.2.3/8} is caught.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static AddressRange parse(String spec) {
        requireNonNull(spec, "spec is null");
        String s = spec.trim();
        if (s.equals("*")) {
            return ANY;
        }
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        byte[] bytes = literal(addr, spec);
        int bits = bytes.length * 8;
        int prefix = bits;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(s.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + spec + "': the prefix length is not a number");
            }
            if (prefix < 0 || prefix > bits) {
                throw new IllegalArgumentException("'" + spec + "': the prefix length must be 0 to " + bits);
            }
        }
        for (int i = prefix; i < bits; i++) {
            if (bit(bytes, i)) {
                throw new IllegalArgumentException("'" + spec + "': host bits are set below /" + prefix
                        + " (did you mean " + canonical(bytes, prefix) + "?)");
            }
        }
        return new AddressRange(bytes, prefix, canonical(bytes, prefix));
    }

    private static byte[] literal(String addr, String spec) {
        boolean v4 = addr.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
        boolean v6 = addr.contains(":") && addr.matches("[0-9A-Fa-f:.]+");
        if (!v4 && !v6) {
            throw new IllegalArgumentException("'" + spec + "' is not an IPv4 or IPv6 address range (CIDR) or *");
        }
        try {
            // a literal: InetAddress does not go to DNS for these
            return normalize(InetAddress.getByName(addr)).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + spec + "' is not a valid address");
        }
    }

    /** The address as matched: IPv4-mapped IPv6 addresses become IPv4. */
    static InetAddress normalize(InetAddress a) {
        if (a instanceof Inet6Address) {
            byte[] b = a.getAddress();
            boolean mapped = b[10] == (byte) 0xff && b[11] == (byte) 0xff;
            for (int i = 0; i < 10 && mapped; i++) {
                mapped = b[i] == 0;
            }
            if (mapped) {
                try {
                    return InetAddress.getByAddress(Arrays.copyOfRange(b, 12, 16));
                } catch (UnknownHostException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return a;
    }

    /** Whether {@code address} is in this range (an IPv4 range never holds an IPv6 address, nor the reverse). */
    public boolean contains(InetAddress address) {
        requireNonNull(address, "address is null");
        if (network == null) {
            return true;
        }
        byte[] a = normalize(address).getAddress();
        if (a.length != network.length) {
            return false;
        }
        for (int i = 0; i < prefixLength; i++) {
            if (bit(a, i) != bit(network, i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean bit(byte[] b, int i) {
        return (b[i >> 3] & (0x80 >> (i & 7))) != 0;
    }

    private static String canonical(byte[] bytes, int prefix) {
        byte[] masked = bytes.clone();
        for (int i = prefix; i < masked.length * 8; i++) {
            masked[i >> 3] &= (byte) ~(0x80 >> (i & 7));
        }
        try {
            InetAddress a = InetAddress.getByAddress(masked);
            String host = a instanceof Inet4Address ? a.getHostAddress() : compress(a.getHostAddress());
            return host + "/" + prefix;
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** Java prints IPv6 without {@code ::}; the longest run of zero groups is folded as people write it. */
    private static String compress(String full) {
        String[] groups = full.split(":");
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < groups.length; ) {
            if (groups[i].equals("0")) {
                int j = i;
                while (j < groups.length && groups[j].equals("0")) {
                    j++;
                }
                if (j - i > bestLen) {
                    bestStart = i;
                    bestLen = j - i;
                }
                i = j;
            } else {
                i++;
            }
        }
        if (bestStart < 0) {
            return full;
        }
        String head = String.join(":", Arrays.copyOfRange(groups, 0, bestStart));
        String tail = String.join(":", Arrays.copyOfRange(groups, bestStart + bestLen, groups.length));
        return head + "::" + tail;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AddressRange r && r.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }
}
