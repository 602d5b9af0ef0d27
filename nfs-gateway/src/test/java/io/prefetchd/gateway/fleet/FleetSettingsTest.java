package io.prefetchd.gateway.fleet;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
