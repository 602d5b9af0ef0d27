package io.prefetchd.gateway.nfs.access;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ExportTableTest {

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    @Test
    void match_firstRuleHoldingTheAddressWins() throws Exception {
        ExportTable t = ExportTable.parse(List.of("10.1.0.0/16 rw no-squash", "10.0.0.0/8 ro", "* ro all-squash"));
        assertTrue(t.match(ip("10.1.2.3")).orElseThrow().readWrite());
        assertEquals(Squash.ROOT, t.match(ip("10.2.0.1")).orElseThrow().squash());
        assertEquals(Squash.ALL, t.match(ip("192.168.1.1")).orElseThrow().squash());
    }

    @Test
    void match_addressInNoRule_isRefused() throws Exception {
        ExportTable t = ExportTable.parse(List.of("10.0.0.0/8", "fd00::/8"));
        assertTrue(t.match(ip("127.0.0.1")).isEmpty());
        assertTrue(t.match(ip("::1")).isEmpty());
        assertTrue(t.match(ip("11.0.0.0")).isEmpty());
    }

    @Test
    void match_ipv6Range_holdsIpv6Addresses_notIpv4() throws Exception {
        ExportTable t = ExportTable.parse(List.of("fd12:3456::/32"));
        assertTrue(t.match(ip("fd12:3456:1::7")).isPresent());
        assertTrue(t.match(ip("fd12:3457::1")).isEmpty());
        assertTrue(t.match(ip("10.0.0.1")).isEmpty());
    }

    @Test
    void match_ipv4MappedIpv6Client_matchesTheIpv4Range() throws Exception {
        ExportTable t = ExportTable.parse(List.of("192.168.0.0/16"));
        InetAddress mapped = java.net.Inet6Address.getByAddress(null,
                new byte[]{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 192, (byte) 168, 3, 4}, null);
        assertTrue(t.match(mapped).isPresent());
    }

    @Test
    void match_singleHostWithoutPrefix_holdsOnlyThatHost() throws Exception {
        ExportTable t = ExportTable.parse(List.of("127.0.0.1"));
        assertTrue(t.match(ip("127.0.0.1")).isPresent());
        assertTrue(t.match(ip("127.0.0.2")).isEmpty());
    }

    @Test
    void match_star_holdsIpv4AndIpv6() throws Exception {
        ExportTable t = ExportTable.parse(ExportTable.DEFAULT);
        assertTrue(t.match(ip("203.0.113.9")).isPresent());
        assertTrue(t.match(ip("2001:db8::1")).isPresent());
        ExportRule r = t.match(ip("::1")).orElseThrow();
        assertTrue(r.readWrite(), "writes are then decided by whether the gateway takes any");
        assertEquals(Squash.ROOT, r.squash());
    }

    @Test
    void parse_defaults_roRootSquashNobody() {
        ExportRule r = ExportRule.parse("10.0.0.0/8");
        assertEquals(new ExportRule(AddressRange.parse("10.0.0.0/8"), false, Squash.ROOT, 65534, 65534), r);
    }

    @Test
    void parse_everyOption() {
        ExportRule r = ExportRule.parse("  fd00::/8   rw  all-squash anon-uid=1000 anon-gid=2000 ");
        assertEquals(new ExportRule(AddressRange.parse("fd00::/8"), true, Squash.ALL, 1000, 2000), r);
        assertEquals(Squash.NONE, ExportRule.parse("* no_root_squash").squash());
        assertEquals("fd00::/8 rw all-squash anon-uid=1000 anon-gid=2000", r.toString());
    }

    @Test
    void parse_hostBitsBelowPrefix_rejectedWithTheIntendedRange() {
        var e = assertThrows(IllegalArgumentException.class, () -> ExportRule.parse("10.1.2.3/8 rw"));
        assertTrue(e.getMessage().contains("did you mean 10.0.0.0/8"), e.getMessage());
    }

    @Test
    void parse_badEntries_rejectedNamingTheProblem() {
        assertThrows(IllegalArgumentException.class, () -> ExportRule.parse("10.0.0.0/33"));
        assertThrows(IllegalArgumentException.class, () -> ExportRule.parse("fd00::/129"));
        assertThrows(IllegalArgumentException.class, () -> ExportRule.parse("gateway.example.com"));
        assertThrows(IllegalArgumentException.class, () -> ExportRule.parse("10.0.0.0/8 anon-uid=-1"));
        var e = assertThrows(IllegalArgumentException.class, () -> ExportRule.parse("10.0.0.0/8 rw,sync"));
        assertTrue(e.getMessage().contains("unknown option 'rw,sync'"), e.getMessage());
    }

    @Test
    void parse_emptyTable_rejected() {
        assertThrows(IllegalArgumentException.class, () -> ExportTable.parse(List.of()));
        assertThrows(IllegalArgumentException.class, () -> ExportTable.parse(List.of(" ")));
    }

    @Test
    void identity_rootSquash_mapsUidAndGidZeroOnly() {
        ExportRule r = ExportRule.parse("* root-squash anon-uid=99 anon-gid=98");
        assertEquals(new Identity(99, 98, List.of(98, 5)), r.identity(0, 0, List.of(0, 5)));
        assertEquals(new Identity(1000, 1000, List.of(27)), r.identity(1000, 1000, List.of(27)));
        assertEquals(new Identity(1000, 98, List.of()), r.identity(1000, 0, List.of()));
    }

    @Test
    void identity_allSquash_everyoneIsAnonymousWithoutGroups() {
        ExportRule r = ExportRule.parse("* all-squash anon-uid=99 anon-gid=98");
        assertEquals(new Identity(99, 98, List.of()), r.identity(1000, 1000, List.of(27, 100)));
        assertEquals(new Identity(99, 98, List.of()), r.identity(0, 0, List.of()));
    }

    @Test
    void identity_noSquash_keepsRoot() {
        ExportRule r = ExportRule.parse("* no-squash");
        assertEquals(new Identity(0, 0, List.of(4)), r.identity(0, 0, List.of(4)));
    }

    @Test
    void identity_authNone_isAnonymousEvenWithoutSquash() {
        ExportRule r = ExportRule.parse("* no-squash anon-uid=7 anon-gid=8");
        assertEquals(new Identity(7, 8, List.of()), r.identity(-1, -1, List.of()));
    }
}
