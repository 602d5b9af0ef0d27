package io.prefetchd.gateway.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;

import io.prefetchd.testing.Prerequisites;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** libnfs' command-line tools as the helper runs them, before any NFS server exists. */
class LibNfsIT {

    private static LibNfs libnfs;

    @BeforeAll
    static void locate() {
        libnfs = LibNfs.locate();
        Prerequisites.require(libnfs.isAvailable(), libnfs.unavailableReason());
    }

    @Test
    void url_pointsAtLoopbackNfsV4WithPort() {
        assertEquals("nfs://127.0.0.1//big/blob.bin?version=4&nfsport=20490", LibNfs.url(20490, "big/blob.bin"));
        assertEquals("nfs://127.0.0.1//?version=4&nfsport=2049", LibNfs.url(2049, "/"));
    }

    @Test
    void cat_nothingListening_failsAtOnceWithMountError() throws IOException {
        int port = freePort();
        LibNfs.Result r = libnfs.run(LibNfs.Tool.CAT, LibNfs.url(port, "README.txt"), Duration.ofSeconds(30));
        assertFalse(r.timedOut(), r.describe());
        assertFalse(r.succeeded(), r.describe());
        assertTrue(r.stderr().contains("Failed to mount"), r.describe());
        AssertionError e = assertThrows(AssertionError.class, () -> libnfs.cat(port, "README.txt"));
        assertTrue(e.getMessage().contains("nfs-cat"), e.getMessage());
    }

    @Test
    void run_peerThatNeverAnswers_isKilledAtTheTimeout() throws IOException {
        // the kernel completes the TCP handshake from the backlog; nobody ever replies
        try (ServerSocket silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            LibNfs.Result r = libnfs.run(LibNfs.Tool.LS, LibNfs.url(silent.getLocalPort(), "/"), Duration.ofSeconds(2));
            assertTrue(r.timedOut(), "killed at its timeout, not left waiting: " + r.describe());
            assertFalse(r.succeeded(), r.describe());
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
