package io.prefetchd.gateway.fleet;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FleetSettingsTest {

    private static FleetSettings with(String name, int port, List<String> members, Duration failure) {
        return new FleetSettings(name, "127.0.0.1", port, members, 0, Duration.ofSeconds(5), failure);
    }

    @Test
    void members_areTrimmed_andBlanksDropped() {
        assertEquals(List.of("10.0.0.1:5701", "gw-2.example:5701"),
                with("train", 5701, List.of(" 10.0.0.1:5701", "", "gw-2.example:5701 "), Duration.ofSeconds(10))
                        .members());
    }

    @Test
    void member_withoutPort_isRefusedByName() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> with("train", 5701, List.of("10.0.0.1"), Duration.ofSeconds(10)));
        assertTrue(e.getMessage().contains("'10.0.0.1' is not host:port"), e.getMessage());
    }

    @Test
    void noMembers_isRefused() {
        assertThrows(IllegalArgumentException.class, () -> with("train", 5701, List.of(" "), Duration.ofSeconds(10)));
    }

    @Test
    void badName_port_orFailureTimeout_areRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> with("a b", 5701, List.of("h:1"), Duration.ofSeconds(10)));
        assertThrows(IllegalArgumentException.class, () -> with("a", 0, List.of("h:1"), Duration.ofSeconds(10)));
        assertThrows(IllegalArgumentException.class, () -> with("a", 5701, List.of("h:1"), Duration.ofSeconds(1)));
    }

    @Test
    void token_changesTheClusterName_perTokenAndName_andIsNeverPrinted() {
        FleetSettings open = with("train", 5701, List.of("h:1"), Duration.ofSeconds(10));
        FleetSettings secret = open.withToken("  s3cr3t-token-0123456 ");

        assertEquals("train", open.clusterName());
        assertEquals("s3cr3t-token-0123456", secret.token());
        assertTrue(secret.clusterName().startsWith("train-"), secret.clusterName());
        assertEquals(secret.clusterName(), open.withToken("s3cr3t-token-0123456").clusterName());
        assertNotEquals(secret.clusterName(), open.withToken("other-token-0123456").clusterName());
        assertFalse(secret.toString().contains("s3cr3t"), secret.toString());
        assertFalse(secret.clusterName().contains("s3cr3t"), secret.clusterName());
    }

    @Test
    void token_shortOrNotPrintableAscii_isRefused_withoutPrintingIt() {
        FleetSettings open = with("train", 5701, List.of("h:1"), Duration.ofSeconds(10));
        for (String bad : new String[] {"short-s3cr3t", "s3cr3t-with space-0123", "s3cr3t-ünïcode-0123456"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> open.withToken(bad));
            assertTrue(e.getMessage().startsWith("token must be 16 or more printable ASCII characters"), e.getMessage());
            assertFalse(e.getMessage().contains("s3cr3t"), e.getMessage());
        }
    }
}
