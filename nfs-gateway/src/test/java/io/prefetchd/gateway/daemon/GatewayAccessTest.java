package io.prefetchd.gateway.daemon;

import io.prefetchd.gateway.nfs.access.FileOwnership;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The access settings as the gateway reads them: modes left unset follow whether the gateway takes writes. */
class GatewayAccessTest {
    @Test
    void unsetModes_areReadOnlyOnAReadOnlyGateway_andWritableOnAWritableOne() {
        GatewayConfig.Access a = new GatewayConfig.Access();
        FileOwnership ro = DaemonSettings.Access.ownership(a, false);
        assertEquals(0444, ro.fileMode());
        assertEquals(0555, ro.dirMode());
        FileOwnership rw = DaemonSettings.Access.ownership(a, true);
        assertEquals(0666, rw.fileMode());
        assertEquals(0777, rw.dirMode());
    }

    @Test
    void configuredModes_standWhateverTheWrites() {
        GatewayConfig.Access a = new GatewayConfig.Access();
        a.setFileMode("0640");
        a.setDirMode("0750");
        FileOwnership rw = DaemonSettings.Access.ownership(a, true);
        assertEquals(0640, rw.fileMode());
        assertEquals(0750, rw.dirMode());
    }
}
